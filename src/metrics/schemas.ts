import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

export interface SchemaMetrics {
  /** Git fetch + index of the configured ref; `result` is success | failure. */
  reloads: Counter<'result'>
  reloadDuration: Histogram<'result'>
  lastReloadSuccess: Gauge
  /** 1 while the last reload failed and an older commit is being served. */
  reloadFailing: Gauge
  /** Published versions in what is being served. */
  versions: Gauge
  /** `route` is titles | versions | schema | check; `status_class` is 2xx | 3xx | 4xx | 5xx. */
  requests: Counter<'route' | 'status_class'>
  /** POST /schemas/check outcomes: pass | fail. */
  checks: Counter<'result'>
}

/**
 * The metrics of the schemas package (git loads, the HTTP API, draft checks).
 * The names keep their `sluice_schema_registry_` prefix: dashboards and alerts use them.
 */
export function createSchemaMetrics (registry: Registry): SchemaMetrics {
  const registers = [registry]
  return {
    reloads: new Counter({
      name: 'sluice_schema_registry_reloads_total',
      help: 'Loads of the schema repository ref (start, poll, SIGHUP or admin reload), by result (success, failure).',
      labelNames: ['result'] as const,
      registers
    }),
    reloadDuration: new Histogram({
      name: 'sluice_schema_registry_reload_duration_seconds',
      help: 'Time to fetch the schema repository ref and index its commit, by result.',
      labelNames: ['result'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers
    }),
    lastReloadSuccess: new Gauge({
      name: 'sluice_schema_registry_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful load of the schema repository.',
      registers
    }),
    reloadFailing: new Gauge({
      name: 'sluice_schema_registry_reload_failing',
      help: '1 while the last load of the schema repository failed and the previous commit is still served, else 0.',
      registers
    }),
    versions: new Gauge({
      name: 'sluice_schema_registry_versions',
      help: 'Published schema versions in the commit being served.',
      registers
    }),
    requests: new Counter({
      name: 'sluice_schema_registry_http_requests_total',
      help: 'Requests to /schemas, by route (titles, versions, schema, check) and status class.',
      labelNames: ['route', 'status_class'] as const,
      registers
    }),
    checks: new Counter({
      name: 'sluice_schema_registry_checks_total',
      help: 'Drafts checked by POST /schemas/check, by result (pass, fail).',
      labelNames: ['result'] as const,
      registers
    })
  }
}
