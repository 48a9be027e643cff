import { readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Registry } from 'prom-client'
import { createMetricsRegistry } from '../../src/metrics/registry.js'

export const repoRoot = resolve(import.meta.dirname, '..', '..')

/** A series name as Prometheus stores it, with the labels it can carry. */
export interface ExportedSeries {
  metric: string
  type: string
  labels: ReadonlySet<string>
}

/**
 * Labels Prometheus adds to every scraped series: the Prometheus Operator's target labels and
 * the `datacenter` label the chart's ServiceMonitor sets. Dashboards and alerts may use them on
 * any metric.
 */
export const targetLabels: ReadonlySet<string> = new Set(['datacenter', 'namespace', 'instance', 'job', 'pod', 'service', 'container', 'endpoint'])

/**
 * The MirrorMaker 2 series dashboards and alerts may use: an allowlist, since src/metrics does not
 * define them. Strimzi's JMX Prometheus exporter exports them from MirrorMaker 2's MBeans with the
 * chart's rules (helm/sluice/files/mirror-maker-2-metrics.yaml). Each entry is one MBean as the
 * exporter sees it (an example topic of codfw mirrored into eqiad) with its attributes, the series
 * name prefix and the labels the rules give it; a test runs the rules over these MBeans and checks
 * that they produce exactly these names and labels.
 */
export const mirrorMakerMBeans = [
  {
    bean: 'kafka.connect.mirror<type=MirrorSourceConnector, target=eqiad, topic=codfw.mediawiki.page_change.v1, partition=3>',
    attributes: [
      'record-count', 'record-rate', 'record-age-ms', 'record-age-ms-min', 'record-age-ms-max', 'record-age-ms-avg',
      'replication-latency-ms', 'replication-latency-ms-min', 'replication-latency-ms-max', 'replication-latency-ms-avg',
      'byte-count', 'byte-rate'
    ],
    prefix: 'kafka_connect_mirror_source_connector_',
    labels: { source: 'codfw', target: 'eqiad', topic: 'codfw.mediawiki.page_change.v1', partition: '3' }
  },
  {
    bean: 'kafka.connect.mirror<type=MirrorCheckpointConnector, source=codfw, target=eqiad, group=sluice-changeprop-purge_page, topic=codfw.resource_change, partition=0>',
    attributes: ['checkpoint-latency-ms', 'checkpoint-latency-ms-min', 'checkpoint-latency-ms-max', 'checkpoint-latency-ms-avg'],
    prefix: 'kafka_connect_mirror_checkpoint_connector_',
    labels: { source: 'codfw', target: 'eqiad', group: 'sluice-changeprop-purge_page', topic: 'codfw.resource_change', partition: '0' }
  }
] as const

/** The series of mirrorMakerMBeans, by name. */
export const mirrorMakerSeries: ReadonlyMap<string, ExportedSeries> = new Map(mirrorMakerMBeans.flatMap((mbean) =>
  mbean.attributes.map((attribute): [string, ExportedSeries] => {
    const metric = `${mbean.prefix}${attribute.replace(/-/g, '_')}`
    return [metric, { metric, type: 'gauge', labels: new Set(Object.keys(mbean.labels)) }]
  })))

export interface MetricFactories {
  /** `<file>:<function>` of every factory called. */
  factories: string[]
  series: Map<string, ExportedSeries>
}

/**
 * Everything the services export: the process metrics of createMetricsRegistry() plus what
 * every `create*Metrics(registry)` function exported from src/metrics/*.ts defines, called on
 * one fresh registry. New factories are picked up without touching this file. The MirrorMaker 2
 * series of the allowlist above are added: the chart's mirror exports them.
 */
export async function exportedSeries (): Promise<MetricFactories> {
  const registry = createMetricsRegistry()
  const dir = join(repoRoot, 'src', 'metrics')
  const factories: string[] = []
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.ts')).sort()) {
    const module = await import(pathToFileURL(join(dir, file)).href) as Record<string, unknown>
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'function' || !/^create\w+Metrics$/.test(name)) continue
      ;(value as (registry: Registry) => unknown)(registry)
      factories.push(`${file}:${name}`)
    }
  }
  const series = new Map<string, ExportedSeries>()
  const add = (metric: string, type: string, labels: Iterable<string>): void => {
    series.set(metric, { metric, type, labels: new Set(labels) })
  }
  for (const metric of await registry.getMetricsAsJSON()) {
    const name = metric.name
    // The typings declare an enum; at run time prom-client reports 'counter', 'histogram', …
    const type = String(metric.type)
    // prom-client keeps the declared label names on the instance; its types do not show them.
    const declared = (registry.getSingleMetric(name) as unknown as { labelNames?: unknown } | undefined)?.labelNames
    if (!Array.isArray(declared)) throw new Error(`cannot read the label names of ${name}`)
    const labels = declared as string[]
    switch (type) {
      case 'histogram':
        add(`${name}_bucket`, type, [...labels, 'le'])
        add(`${name}_sum`, type, labels)
        add(`${name}_count`, type, labels)
        break
      case 'summary':
        add(name, type, [...labels, 'quantile'])
        add(`${name}_sum`, type, labels)
        add(`${name}_count`, type, labels)
        break
      default:
        add(name, type, labels)
    }
  }
  for (const [metric, exported] of mirrorMakerSeries) {
    if (series.has(metric)) throw new Error(`${metric} is defined in src/metrics and allowlisted as a MirrorMaker 2 series`)
    series.set(metric, exported)
  }
  return { factories, series }
}

export interface Selector {
  metric: string
  /** Label names used in its matchers. */
  labels: string[]
}

export interface QueryUse {
  selectors: Selector[]
  /** Labels named in by/without/on/ignoring/group_left/group_right. */
  groupingLabels: string[]
}

const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'start', 'end'])

/**
 * The metric names and label names a PromQL expression uses. A deliberately small reading of
 * PromQL: enough for our dashboards and rules, which promtool parses for real.
 */
export function queryUse (expression: string): QueryUse {
  let text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\[[^\]]*\]/g, '')
  const groupingLabels: string[] = []
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _keyword: string, labels: string) => {
    groupingLabels.push(...labels.split(',').map((label) => label.trim()).filter((label) => label !== ''))
    return ' '
  })
  const selectors: Selector[] = []
  text = text.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_all, metric: string | undefined, matchers: string) => {
    const labels = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1] as string)
    selectors.push({ metric: metric ?? '', labels })
    return ' '
  })
  for (const match of text.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = match[1] as string
    if (match[2] !== undefined || keywords.has(name)) continue
    selectors.push({ metric: name, labels: [] })
  }
  return { selectors, groupingLabels }
}

/** Grafana's `label_values(metric{…}, label)` as a query plus the label it reads. */
export function templateVariableUse (query: string): QueryUse {
  const match = /^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query)
  if (match === null) return queryUse(query)
  const use = queryUse(match[1] as string)
  return { selectors: use.selectors, groupingLabels: [...use.groupingLabels, match[2] as string] }
}

/** Problems with the metrics and labels an expression uses, as readable lines; empty when fine. */
export function checkQuery (where: string, use: QueryUse, exported: ReadonlyMap<string, ExportedSeries>): string[] {
  const problems: string[] = []
  const available = new Set(targetLabels)
  for (const selector of use.selectors) {
    const series = exported.get(selector.metric)
    if (series === undefined) {
      problems.push(`${where}: ${selector.metric === '' ? 'a selector without a metric name' : `metric ${selector.metric} is not exported`}`)
      continue
    }
    for (const label of series.labels) available.add(label)
    for (const label of selector.labels) {
      if (!series.labels.has(label) && !targetLabels.has(label)) problems.push(`${where}: ${selector.metric} has no label ${label}`)
    }
  }
  if (use.selectors.length === 0) problems.push(`${where}: queries no metric`)
  for (const label of use.groupingLabels) {
    if (!available.has(label)) problems.push(`${where}: groups by ${label}, which none of its metrics has`)
  }
  return problems
}
