import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { findObject, renderChart } from '../helm/chart-tools.js'
import { checkQuery, exportedSeries, queryUse, repoRoot, templateVariableUse } from './metric-names.js'
import { checkExpressions, withoutGrafanaVariables } from './promtool.js'

interface Target { expr?: string, refId: string, datasource?: { uid?: string } }
interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number, y: number, w: number, h: number }
  datasource?: { type?: string, uid?: string }
  targets?: Target[]
  panels?: Panel[]
}
interface Variable { name: string, type: string, query?: string | { query: string }, datasource?: { uid?: string } }
interface Dashboard {
  id?: unknown
  uid: string
  title: string
  schemaVersion: number
  __inputs?: unknown
  templating: { list: Variable[] }
  panels: Panel[]
}

const dashboardPath = join(repoRoot, 'dashboards', 'sluice.json')
const chartCopyPath = join(repoRoot, 'helm', 'sluice', 'files', 'sluice-dashboard.json')

async function loadDashboard (): Promise<Dashboard> {
  return JSON.parse(await readFile(dashboardPath, 'utf8')) as Dashboard
}

function allPanels (dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])])
}

function queries (dashboard: Dashboard): Array<{ name: string, expr: string }> {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ name: `panel "${panel.title}" ${target.refId}`, expr: target.expr ?? '' })))
}

function variableQuery (variable: Variable): string | undefined {
  return typeof variable.query === 'string' ? (variable.type === 'query' ? variable.query : undefined) : variable.query?.query
}

void test('the dashboard is provisionable: fixed uid, no numeric id, data source chosen by variable', async () => {
  const dashboard = await loadDashboard()
  assert.equal(dashboard.uid, 'sluice')
  assert.equal(dashboard.title, 'Sluice')
  assert.ok(dashboard.id === undefined || dashboard.id === null, 'a provisioned dashboard must not carry a database id')
  assert.equal(dashboard.__inputs, undefined, 'export-for-sharing inputs do not work with file provisioning')
  assert.ok(dashboard.schemaVersion >= 36)
  const datasourceVariable = dashboard.templating.list.find((v) => v.type === 'datasource')
  assert.equal(datasourceVariable?.name, 'datasource')
  for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
    assert.equal(panel.datasource?.uid, '${datasource}', `panel "${panel.title}"`)
    assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`)
    for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, '${datasource}', `panel "${panel.title}" ${target.refId}`)
  }
})

void test('panels have unique ids and do not overlap on the 24-column grid', async () => {
  const dashboard = await loadDashboard()
  const panels = allPanels(dashboard)
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length)
  const taken = new Map<string, string>()
  for (const panel of panels) {
    const { x, y, w, h } = panel.gridPos
    assert.ok(x >= 0 && w > 0 && x + w <= 24, `panel "${panel.title}" leaves the grid`)
    for (let row = y; row < y + h; row++) {
      for (let column = x; column < x + w; column++) {
        const cell = `${column},${row}`
        assert.equal(taken.get(cell), undefined, `panels "${taken.get(cell)}" and "${panel.title}" overlap at ${cell}`)
        taken.set(cell, panel.title)
      }
    }
  }
})

void test('every variable a query uses is defined', async () => {
  const dashboard = await loadDashboard()
  const defined = new Set(dashboard.templating.list.map((v) => v.name))
  const texts = [...queries(dashboard).map((q) => q.expr), ...dashboard.templating.list.map(variableQuery).filter((q): q is string => q !== undefined)]
  for (const text of texts) {
    for (const match of text.matchAll(/\$\{?(\w+)/g)) {
      const name = match[1] as string
      if (!name.startsWith('__')) assert.ok(defined.has(name), `$${name} is not a dashboard variable: ${text}`)
    }
  }
})

void test('every panel query parses as PromQL (promtool)', async () => {
  const dashboard = await loadDashboard()
  const expressions = queries(dashboard).map(({ name, expr }) => ({ name, expr: withoutGrafanaVariables(expr) }))
  assert.ok(expressions.length > 20)
  assert.deepEqual(await checkExpressions(expressions), [])
})

void test('the PromQL check rejects a broken query (it is able to fail)', async () => {
  const problems = await checkExpressions([{ name: 'broken', expr: 'sum by (stream (rate(sluice_gateway_events_total[5m]))' }])
  assert.equal(problems.length, 1)
})

void test('every metric and label the dashboard queries is one the services export', async () => {
  const dashboard = await loadDashboard()
  const { factories, series } = await exportedSeries()
  for (const factory of ['gateway.ts:createGatewayMetrics', 'kafka.ts:createKafkaMetrics', 'changeprop.ts:createChangepropMetrics', 'streams.ts:createStreamsMetrics']) {
    assert.ok(factories.includes(factory), `${factory} was not found among ${factories.join(', ')}`)
  }
  const problems: string[] = []
  for (const { name, expr } of queries(dashboard)) problems.push(...checkQuery(name, queryUse(expr), series))
  for (const variable of dashboard.templating.list) {
    const query = variableQuery(variable)
    if (query !== undefined) problems.push(...checkQuery(`variable $${variable.name}`, templateVariableUse(query), series))
  }
  assert.deepEqual(problems, [])
})

void test('the exported-metrics check reports unknown metrics and labels (it is able to fail)', async () => {
  const { series } = await exportedSeries()
  const problems = checkQuery('probe', queryUse('sum by (route, colour) (rate(sluice_gateway_events_total{outcome="x", flavour="y"}[5m])) / sluice_no_such_metric'), series)
  assert.deepEqual(problems.sort(), [
    'probe: groups by colour, which none of its metrics has',
    'probe: groups by route, which none of its metrics has',
    'probe: metric sluice_no_such_metric is not exported',
    'probe: sluice_gateway_events_total has no label flavour'
  ])
})

void test('the dashboard covers intake, errors, Kafka and change propagation', async () => {
  const used = new Set(queries(await loadDashboard()).flatMap(({ expr }) => queryUse(expr).selectors.map((s) => s.metric)))
  for (const metric of [
    'sluice_gateway_events_total',
    'sluice_gateway_http_request_duration_seconds_bucket',
    'sluice_gateway_error_events_total',
    'sluice_kafka_produce_duration_seconds_bucket',
    'sluice_kafka_produce_batch_records_bucket',
    'sluice_kafka_produce_errors_total',
    'sluice_kafka_up',
    'sluice_changeprop_events_total',
    'sluice_changeprop_exec_duration_seconds_bucket',
    'sluice_changeprop_retries_total',
    'sluice_changeprop_errors_total',
    'sluice_changeprop_commit_lag_messages'
  ]) {
    assert.ok(used.has(metric), `no panel shows ${metric}`)
  }
})

void test('the stream service row shows clients, deliveries, delay, rejections and slow-client drops', async () => {
  const dashboard = await loadDashboard()
  const row = dashboard.panels.find((panel) => panel.type === 'row' && panel.title === 'Stream service')
  assert.ok(row !== undefined, 'no "Stream service" row')
  const next = dashboard.panels.filter((panel) => panel.type === 'row' && panel.gridPos.y > row.gridPos.y).map((panel) => panel.gridPos.y)
  const end = Math.min(Infinity, ...next)
  const inRow = dashboard.panels.filter((panel) => panel.type !== 'row' && panel.gridPos.y > row.gridPos.y && panel.gridPos.y < end)
  const exprs = inRow.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''))
  const used = new Set(exprs.flatMap((expr) => queryUse(expr).selectors.map((s) => s.metric)))
  for (const metric of [
    'eventstreams_connected_clients',
    'sluice_streams_deliveries_total',
    'sluice_streams_delivery_delay_seconds_bucket',
    'sluice_streams_rejected_requests_total',
    'sluice_streams_disconnects_total'
  ]) {
    assert.ok(used.has(metric), `no panel of the Stream service row shows ${metric}`)
  }
  assert.ok(exprs.some((expr) => /sluice_streams_disconnects_total\{[^}]*reason="slow_client"/.test(expr)), 'no panel shows slow-client disconnects')
})

void test('the Mirroring row shows replication latency, record age and records/s per direction', async () => {
  const dashboard = await loadDashboard()
  const row = dashboard.panels.find((panel) => panel.type === 'row' && panel.title === 'Mirroring')
  assert.ok(row !== undefined, 'no "Mirroring" row')
  const next = dashboard.panels.filter((panel) => panel.type === 'row' && panel.gridPos.y > row.gridPos.y).map((panel) => panel.gridPos.y)
  const end = Math.min(Infinity, ...next)
  const inRow = dashboard.panels.filter((panel) => panel.type !== 'row' && panel.gridPos.y > row.gridPos.y && panel.gridPos.y < end)
  const exprs = inRow.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''))
  for (const metric of [
    'kafka_connect_mirror_source_connector_replication_latency_ms_max',
    'kafka_connect_mirror_source_connector_record_age_ms_max',
    'kafka_connect_mirror_source_connector_record_rate'
  ]) {
    const uses = exprs.filter((expr) => queryUse(expr).selectors.some((s) => s.metric === metric))
    assert.ok(uses.length > 0, `no panel of the Mirroring row shows ${metric}`)
    // A direction is its source and target: every query keeps both apart.
    for (const expr of uses) assert.match(expr, /by \(source, target[,)]/, expr)
  }
  assert.ok(exprs.some((expr) => /quantile by \(source, target\) \(0\.99, kafka_connect_mirror_source_connector_replication_latency_ms_max/.test(expr)), 'no p99 replication latency')
})

void test('the change-propagation row on protecting targets shows the rate limit, the time throttled, the back-off, Retry-After and delayed events', async () => {
  const dashboard = await loadDashboard()
  const row = dashboard.panels.find((panel) => panel.type === 'row' && panel.title === 'Change propagation: protecting targets')
  assert.ok(row !== undefined, 'no "Change propagation: protecting targets" row')
  const next = dashboard.panels.filter((panel) => panel.type === 'row' && panel.gridPos.y > row.gridPos.y).map((panel) => panel.gridPos.y)
  const end = Math.min(Infinity, ...next)
  const inRow = dashboard.panels.filter((panel) => panel.type !== 'row' && panel.gridPos.y > row.gridPos.y && panel.gridPos.y < end)
  const used = new Set(inRow.flatMap((panel) => (panel.targets ?? []).flatMap((target) => queryUse(target.expr ?? '').selectors.map((s) => s.metric))))
  for (const metric of [
    'sluice_changeprop_rate_limit_per_second',
    'sluice_changeprop_throttled_seconds_total',
    'sluice_changeprop_backoff_delay_seconds',
    'sluice_changeprop_backoffs_total',
    'sluice_changeprop_retry_after_seconds_bucket',
    'sluice_changeprop_waiting_events'
  ]) {
    assert.ok(used.has(metric), `no panel of the row shows ${metric}`)
  }
})

void test('the chart ships the same dashboard', async () => {
  const [source, copy] = await Promise.all([readFile(dashboardPath, 'utf8'), readFile(chartCopyPath, 'utf8')])
  assert.ok(source === copy, 'helm/sluice/files/sluice-dashboard.json differs from dashboards/sluice.json: cp dashboards/sluice.json helm/sluice/files/sluice-dashboard.json')
  const objects = await renderChart({ set: ['dashboards.enabled=true', 'dashboards.annotations.grafana_folder=Sluice'] })
  const configMap = findObject(objects, 'ConfigMap', '-dashboard') as unknown as { metadata: { labels: Record<string, string>, annotations: Record<string, string> }, data: Record<string, string> }
  assert.equal(configMap.metadata.labels.grafana_dashboard, '1', 'Grafana\'s dashboard sidecar looks for this label')
  assert.equal(configMap.metadata.annotations.grafana_folder, 'Sluice')
  assert.deepEqual(JSON.parse(configMap.data['sluice.json'] as string), JSON.parse(source))
  assert.equal((await renderChart()).filter((object) => object.metadata.name.endsWith('-dashboard')).length, 0)
})
