import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { findObject, renderChart, runTool } from '../helm/chart-tools.js'
import { checkQuery, exportedSeries, queryUse, repoRoot } from './metric-names.js'

interface AlertRule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface RuleFile { groups: Array<{ name: string, rules: AlertRule[] }> }
interface RuleTests {
  rule_files: string[]
  tests: Array<{ name?: string, alert_rule_test?: Array<{ alertname: string, exp_alerts?: unknown[] }> }>
}

const rulesPath = join(repoRoot, 'alerts', 'sluice-alerts.yaml')
// Two files: comparisons with a week earlier are evaluated every 10 minutes, the rest every minute.
const testsPaths = ['sluice-alerts.test.yaml', 'sluice-alerts-weekly.test.yaml'].map((name) => join(repoRoot, 'alerts', 'tests', name))
const chartCopyPath = join(repoRoot, 'helm', 'sluice', 'files', 'sluice-alerts.yaml')

async function loadRules (): Promise<AlertRule[]> {
  const file = yaml.load(await readFile(rulesPath, 'utf8')) as RuleFile
  return file.groups.flatMap((group) => group.rules)
}

void test('promtool accepts the alert rules', async () => {
  const result = await runTool('promtool', ['check', 'rules', rulesPath])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(result.stdout, /SUCCESS: \d+ rules found/)
})

void test('the alert rules pass their promtool unit tests', async () => {
  const result = await runTool('promtool', ['test', 'rules', ...testsPaths])
  assert.equal(result.code, 0, result.stdout + result.stderr)
  assert.match(result.stdout, /SUCCESS/)
})

void test('every alert has a unit test in which it fires', async () => {
  const files = await Promise.all(testsPaths.map(async (path) => yaml.load(await readFile(path, 'utf8')) as RuleTests))
  for (const tests of files) assert.deepEqual(tests.rule_files, ['../sluice-alerts.yaml'])
  const firing = new Set(files.flatMap((tests) => tests.tests).flatMap((t) => t.alert_rule_test ?? []).filter((t) => (t.exp_alerts ?? []).length > 0).map((t) => t.alertname))
  const untested = (await loadRules()).map((rule) => rule.alert).filter((name) => !firing.has(name))
  assert.deepEqual(untested, [])
})

void test('the alerts cover error spikes, silent streams, change-propagation lag and Kafka', async () => {
  const names = new Set((await loadRules()).map((rule) => rule.alert))
  for (const name of ['SluiceGatewayEventErrors', 'SluiceGatewayServerErrors', 'SluiceStreamTrafficStopped', 'SluiceChangepropLagGrowing', 'SluiceKafkaUnreachable']) {
    assert.ok(names.has(name), `missing alert ${name}`)
  }
})

void test('the stream service alerts on streams that deliver nothing to their clients and on slow-client drops', async () => {
  const rules = new Map((await loadRules()).map((rule) => [rule.alert, rule]))
  const stopped = rules.get('SluiceStreamStoppedDelivering')
  assert.ok(stopped !== undefined, 'missing alert SluiceStreamStoppedDelivering')
  assert.match(stopped.expr, /eventstreams_connected_clients/)
  assert.match(stopped.expr, /sluice_streams_deliveries_total/)
  assert.match(stopped.annotations?.description ?? '', /canary/, 'quiet streams need canary events for the alert to mean something')
  const drops = rules.get('SluiceStreamSlowClientDrops')
  assert.ok(drops !== undefined, 'missing alert SluiceStreamSlowClientDrops')
  assert.match(drops.expr, /sluice_streams_disconnects_total\{reason="slow_client"\}/)
  for (const rule of [stopped, drops]) assert.equal(rule.labels?.severity, 'warning', `${rule.alert} should not page`)
})

void test('every alert has a severity, a summary and a description', async () => {
  for (const rule of await loadRules()) {
    assert.match(rule.alert, /^Sluice[A-Z][A-Za-z]+$/)
    assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`)
    assert.ok((rule.annotations?.summary ?? '') !== '' && (rule.annotations?.description ?? '') !== '', `${rule.alert}: annotations`)
    assert.match(rule.for ?? '', /^\d+m$/, `${rule.alert}: fires on the first evaluation`)
  }
})

void test('every metric and label the alerts query is one the services export', async () => {
  const { series } = await exportedSeries()
  const problems = (await loadRules()).flatMap((rule) => checkQuery(rule.alert, queryUse(rule.expr), series))
  assert.deepEqual(problems, [])
})

void test('the chart ships the same rules as a PrometheusRule', async () => {
  const [source, copy] = await Promise.all([readFile(rulesPath, 'utf8'), readFile(chartCopyPath, 'utf8')])
  assert.ok(source === copy, 'helm/sluice/files/sluice-alerts.yaml differs from alerts/sluice-alerts.yaml: cp alerts/sluice-alerts.yaml helm/sluice/files/sluice-alerts.yaml')
  const objects = await renderChart({ set: ['prometheusRule.enabled=true', 'prometheusRule.labels.release=prometheus'] })
  const rule = findObject(objects, 'PrometheusRule', 'sluice') as unknown as { apiVersion: string, metadata: { labels: Record<string, string> }, spec: unknown }
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1')
  assert.equal(rule.metadata.labels.release, 'prometheus')
  assert.deepEqual(rule.spec, yaml.load(source))
  assert.equal((await renderChart()).filter((object) => object.kind === 'PrometheusRule').length, 0, 'rendered although the CRD may be missing')
})
