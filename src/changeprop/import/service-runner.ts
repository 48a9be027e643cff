import { oresRetired } from '../rules/routes.js'
import { isObject } from './data.js'
import type { Data } from './data.js'
import { importQueueOptions } from './queue-options.js'
import { importRules } from './rules.js'
import type { ImportReport } from './report.js'
import { createImportReport } from './report.js'
import { importDedupe, importLimit, importLinks, importPartition, importPurge, modulesOf } from './sys-modules.js'

/**
 * Wikimedia Change Propagation's own configuration (a service-runner file whose service runs
 * HyperSwitch modules: the rules under `spec.paths./sys/queue.x-modules[0].options.templates`,
 * the modules they call in their own `x-modules`) turned into the equivalent Sluice
 * configuration, with a report of every setting: mapped to a Sluice key, set to the
 * reference's default where Sluice's differs, or dropped, each with the reason.
 *
 * The rules are carried over as they are; only what the reference ignored (unknown keys, a
 * misspelt request option) is dropped, and rules calling the retired ORES module.
 */
export interface ImportResult {
  config: Record<string, unknown>
  report: ImportReport
}

/** Whether parsed YAML is a service-runner configuration rather than a Sluice one. */
export function isServiceRunnerConfig (data: unknown): boolean {
  if (!isObject(data)) return false
  if (Array.isArray(data.services)) return true
  return isObject(data.spec) && isObject(data.spec.paths)
}

/** The reference's defaults where Sluice's differ, written out so that imported rules behave as they did. */
const referenceDefaults: ReadonlyArray<{ key: string, value: unknown, reason: string }> = [
  { key: 'retry_on', value: { status: ['50x'] }, reason: 'the reference retried 500-509 by default (Sluice: 5xx)' },
  { key: 'timeout', value: 420000, reason: 'the reference\'s request timeout was 7 minutes (Sluice: 60 s)' },
  { key: 'retry_delay', value: 60000, reason: 'the reference\'s default (the same as Sluice\'s)' },
  { key: 'retry_factor', value: 6, reason: 'the reference\'s default (the same as Sluice\'s)' },
  { key: 'retry_limit', value: 2, reason: 'the reference\'s default (the same as Sluice\'s)' }
]

export function importServiceRunnerConfig (data: unknown): ImportResult {
  const report = createImportReport()
  const config: Data = {}
  const root = isObject(data) ? data : {}
  const service = (Array.isArray(root.services) ? root.services : []).find((s) => isObject(s) && isObject(s.conf)) as Data | undefined
  const conf = isObject(service?.conf) ? service.conf : {}
  const spec = isObject(conf.spec) ? conf.spec : isObject(root.spec) ? root.spec : {}

  importTopLevel(root, service, conf, config, report)
  const modules = modulesOf(spec, report)
  const queue = modules.get('queue')
  if (queue === undefined) report.dropped('spec.paths', 'no /sys/queue module: the configuration has no rules')
  const limiterTypes = importLimit(modules.get('limit'), config, report)
  importDedupe(modules.get('dedupe'), config, report)
  importPurge(modules.get('purge'), config, report)
  importLinks(modules.get('links'), config, report)
  importPartition(modules.get('partition'), config, report)
  if (modules.has('ores')) report.dropped(modules.get('ores')?.path ?? '/sys/ores', oresRetired)

  for (const { key, value, reason } of referenceDefaults) {
    config[key] = value
    report.defaulted(key, JSON.stringify(value), reason)
  }
  if (queue !== undefined) {
    const options = queue.options
    const path = `${queue.path}.options`
    importQueueOptions(options, path, config, report)
    config.rules = importRules(options.templates, `${path}.templates`, {
      limiterTypes,
      disableRatelimit: options.disable_ratelimit === true,
      delayedExecution: options.disable_delayed_execution !== true
    }, report)
  }
  return { config, report }
}

function importTopLevel (root: Data, service: Data | undefined, conf: Data, config: Data, report: ImportReport): void {
  if (typeof service?.name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service.name)) {
    config.service_name = service.name
    report.mapped('services[0].name', 'service_name', 'names consumer groups, retry and error topics as the reference did')
  }
  if (typeof conf.port === 'number') {
    config.port = conf.port
    report.mapped('services[0].conf.port', 'port', 'the admin server (metrics, health) listens there')
  }
  if (typeof conf.user_agent === 'string') {
    config.user_agent = conf.user_agent
    report.mapped('services[0].conf.user_agent', 'user_agent', 'sent with every exec request')
  }
  const logging = isObject(root.logging) ? root.logging : {}
  if (typeof logging.level === 'string' && ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(logging.level)) {
    config.log_level = logging.level
    report.mapped('logging.level', 'log_level', 'the same levels')
  }
  for (const key of Object.keys(root)) {
    if (key === 'services' || key === 'spec') continue
    if (key === 'logging') {
      for (const setting of Object.keys(logging)) {
        if (setting !== 'level' || config.log_level === undefined) report.dropped(`logging.${setting}`, 'logs are JSON lines on stdout at log_level, named by service_name')
      }
      continue
    }
    report.dropped(key, key === 'num_workers'
      ? 'one process per instance; run more instances (replicas) to scale'
      : key === 'metrics' ? 'metrics are served for Prometheus on the admin port (/metrics)' : 'a service-runner setting with no Sluice counterpart')
  }
  const filters = isObject(conf.spec) ? conf.spec['x-sub-request-filters'] : undefined
  if (filters !== undefined) report.dropped('spec.x-sub-request-filters', 'Sluice calls any http(s) URI a rule names, and always sends user_agent')
}
