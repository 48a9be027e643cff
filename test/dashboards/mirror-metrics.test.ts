import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { mirrorMakerMBeans, mirrorMakerSeries, repoRoot } from './metric-names.js'

interface JmxRule { pattern: string, name?: string, value?: number, labels?: Record<string, string>, type?: string }
interface JmxConfig { lowercaseOutputName?: boolean, lowercaseOutputLabelNames?: boolean, rules: JmxRule[] }

const rulesPath = join(repoRoot, 'helm', 'sluice', 'files', 'mirror-maker-2-metrics.yaml')

/**
 * What the JMX Prometheus exporter makes of one MBean attribute: it matches
 * "<domain><properties><>attribute: value" against each rule's pattern (unanchored, first match
 * wins), fills in the name and labels and makes the name a valid metric name.
 */
function exportAttribute (config: JmxConfig, bean: string, attribute: string, value = '1.0'): { metric: string, labels: Record<string, string> } | undefined {
  const line = `${bean}<>${attribute}: ${value}`
  for (const rule of config.rules) {
    const match = new RegExp(`^.*(?:${rule.pattern}).*$`).exec(line)
    if (match === null) continue
    if (rule.name === undefined) return undefined
    const fill = (template: string): string => template.replace(/\$(\d+)/g, (_all, n: string) => match[Number(n)] ?? '')
    let metric = fill(rule.name)
    if (config.lowercaseOutputName === true) metric = metric.toLowerCase()
    metric = metric.replace(/[^a-zA-Z0-9:_]/g, '_').replace(/_+/g, '_')
    const labels: Record<string, string> = {}
    for (const [name, value] of Object.entries(rule.labels ?? {})) {
      labels[config.lowercaseOutputLabelNames === true ? name.toLowerCase() : name] = fill(value)
    }
    return { metric, labels }
  }
  return undefined
}

async function loadRules (): Promise<JmxConfig> {
  return yaml.load(await readFile(rulesPath, 'utf8')) as JmxConfig
}

void test('the chart\'s JMX exporter rules produce exactly the allowlisted MirrorMaker 2 series', async () => {
  const config = await loadRules()
  const produced = new Set<string>()
  for (const mbean of mirrorMakerMBeans) {
    for (const attribute of mbean.attributes) {
      const exported = exportAttribute(config, mbean.bean, attribute)
      assert.ok(exported !== undefined, `no rule matches ${mbean.bean} ${attribute}`)
      assert.equal(exported.metric, `${mbean.prefix}${attribute.replace(/-/g, '_')}`)
      assert.deepEqual(exported.labels, mbean.labels, `${exported.metric} labels`)
      produced.add(exported.metric)
    }
  }
  assert.deepEqual([...produced].sort(), [...mirrorMakerSeries.keys()].sort())
  assert.ok(produced.has('kafka_connect_mirror_source_connector_replication_latency_ms_max'))
  assert.ok(produced.has('kafka_connect_mirror_source_connector_record_age_ms_max'))
  assert.ok(produced.has('kafka_connect_mirror_source_connector_record_rate'))
})

void test('the source label is the mirrored topic\'s datacenter prefix, whatever the stream name holds', async () => {
  const config = await loadRules()
  const source = (topic: string): string | undefined =>
    exportAttribute(config, `kafka.connect.mirror<type=MirrorSourceConnector, target=codfw, topic=${topic}, partition=12>`, 'record-rate')?.labels.source
  assert.equal(source('eqiad.mediawiki.page_change.v1'), 'eqiad')
  assert.equal(source('eqiad.changeprop.retry.resource_change'), 'eqiad')
  assert.equal(source('ulsfo.test.event'), 'ulsfo')
  // Unprefixed topics are not mirrored (each direction copies "<source>\..*"), and get no series.
  assert.equal(source('heartbeats'), undefined)
})

void test('Connect\'s own task states are exported too, under other names', async () => {
  const config = await loadRules()
  const status = exportAttribute(config, 'kafka.connect<type=connector-task-metrics, connector=MirrorSourceConnector, task=0>', 'status', 'running')
  assert.deepEqual(status, { metric: 'kafka_connect_connector_task_status', labels: { connector: 'MirrorSourceConnector', task: '0', status: 'running' } })
})
