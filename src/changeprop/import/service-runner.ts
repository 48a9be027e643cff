import { oresRetired } from '../rules/routes.js'
import { importRules } from './rules.js'
import type { ImportReport } from './report.js'
import { createImportReport } from './report.js'

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

type Data = Record<string, unknown>

const isObject = (value: unknown): value is Data => value !== null && typeof value === 'object' && !Array.isArray(value)

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

interface Module {
  path: string
  options: Data
}

/** The x-modules of `spec.paths`, by the last segment of their path (`/sys/queue` and `/{api:sys}/queue` alike). */
function modulesOf (spec: Data, report: ImportReport): Map<string, Module> {
  const modules = new Map<string, Module>()
  const paths = isObject(spec.paths) ? spec.paths : {}
  for (const [path, value] of Object.entries(paths)) {
    const name = /^\/(?:sys|\{api:sys\})\/([a-z_]+)$/.exec(path)?.[1]
    const first = isObject(value) && Array.isArray(value['x-modules']) ? value['x-modules'][0] as unknown : undefined
    const where = `spec.paths.${path}.x-modules[0]`
    if (name === undefined || !isObject(first)) {
      report.dropped(`spec.paths.${path}`, 'not a /sys/ module stanza')
      continue
    }
    if (!['queue', 'limit', 'dedupe', 'purge', 'links', 'partition', 'ores'].includes(name)) {
      report.dropped(where, `no Sluice counterpart of the ${path} module`)
      continue
    }
    modules.set(name, { path: where, options: isObject(first.options) ? first.options : {} })
  }
  return modules
}

function redisUrlOf (redis: unknown, path: string, config: Data, report: ImportReport): void {
  if (!isObject(redis)) return
  if (typeof redis.host === 'string') {
    const url = `redis://${redis.host}:${typeof redis.port === 'number' ? redis.port : 6379}`
    if (config.redis === undefined) {
      config.redis = { url }
      report.mapped(`${path}.redis`, 'redis.url', `${url}: dedupe and limiter state are shared by every instance there`)
    }
  } else {
    report.dropped(`${path}.redis`, 'only host and port map to redis.url (a unix socket path does not); state stays in memory')
  }
  if (redis.password !== undefined) report.dropped(`${path}.redis.password`, 'put credentials into redis.url from a file or the environment, never into the imported file')
}

function importLimit (module: Module | undefined, config: Data, report: ImportReport): Set<string> {
  const types = new Set<string>()
  if (module === undefined) return types
  redisUrlOf(module.options.redis, `${module.path}.options`, config, report)
  const limiters: Data = {}
  for (const [type, spec] of Object.entries(isObject(module.options.limiters) ? module.options.limiters : {})) {
    const windows = (Array.isArray(spec) ? spec : [spec]).filter(isObject).map((w) => ({ interval_ms: Number(w.interval) * 1000, limit: Number(w.limit) }))
    if (windows.length === 0 || windows.some((w) => !Number.isInteger(w.interval_ms) || w.interval_ms < 1 || !Number.isInteger(w.limit) || w.limit < 0)) {
      report.dropped(`${module.path}.options.limiters.${type}`, 'each window needs an interval (seconds) and a limit')
      continue
    }
    limiters[type] = windows
    types.add(type)
    report.mapped(`${module.path}.options.limiters.${type}`, `limiters.${type}`, 'interval (seconds) becomes interval_ms; precision is dropped, as Sluice\'s windows slide exactly')
  }
  config.limiters = limiters
  return types
}

function importDedupe (module: Module | undefined, config: Data, report: ImportReport): void {
  if (module === undefined) {
    config.dedupe = { enabled: false }
    report.defaulted('dedupe.enabled', 'false', 'the reference deduplicated only with a /sys/dedupe module, and this configuration has none')
    return
  }
  const { options, path } = module
  const dedupe: Data = { enabled: true }
  redisUrlOf(options.redis, `${path}.options`, config, report)
  if (typeof options.redis_prefix === 'string' && isObject(config.redis)) {
    config.redis = { ...config.redis, key_prefix: options.redis_prefix }
    report.mapped(`${path}.options.redis_prefix`, 'redis.key_prefix', 'the prefix of every key')
  }
  if (typeof options.window === 'number') {
    dedupe.window_ms = Math.round(options.window * 1000 / 24)
    report.mapped(`${path}.options.window`, 'dedupe.window_ms', 'the reference remembered event ids for window/24 seconds')
  }
  report.mapped(path, 'dedupe.enabled', 'events are deduplicated by meta.id; the reference\'s sha1 and root-event checks have no Sluice counterpart')
  config.dedupe = dedupe
}

function importPurge (module: Module | undefined, config: Data, report: ImportReport): void {
  if (module === undefined) return
  const { options, path } = module
  const purge: Data = {}
  if (typeof options.host === 'string' && typeof options.port === 'number') {
    purge.htcp = { host: options.host, port: options.port }
    report.mapped(`${path}.options`, 'purge.htcp', 'HTCP CLR datagrams to the same host and port')
  }
  report.defaulted('purge.stream', 'resource-purge', 'purges are also produced as events to resource-purge, which Wikimedia\'s CDN purgers consume now')
  config.purge = purge
}

function importLinks (module: Module | undefined, config: Data, report: ImportReport): void {
  if (module === undefined) return
  const { options, path } = module
  const api = isObject(options.templates) && isObject(options.templates.mw_api) ? options.templates.mw_api : {}
  const mapped: Data = {}
  for (const [key, value] of Object.entries(api)) {
    const at = `${path}.options.templates.mw_api.${key}`
    if (key === 'uri' && typeof value === 'string') {
      mapped.uri = value
      report.mapped(at, 'mediawiki_api.uri', 'the endpoint template')
    } else if (key === 'headers' && isObject(value)) {
      mapped.headers = Object.fromEntries(Object.entries(value).map(([name, header]) => [name, String(header)]))
      report.mapped(at, 'mediawiki_api.headers', 'sent with every API call')
    } else if (key === 'body' && isObject(value)) {
      mapped.params = Object.fromEntries(Object.entries(value).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)))
      report.mapped(at, 'mediawiki_api.params', 'added to every API call')
    } else {
      report.dropped(at, 'API calls are always form-encoded POSTs')
    }
  }
  config.mediawiki_api = mapped
}

function importPartition (module: Module | undefined, config: Data, report: ImportReport): void {
  if (module === undefined) return
  const { options, path } = module
  const templates = isObject(options.templates) ? options.templates : {}
  const stream = typeof templates.partition_stream === 'string' ? templates.partition_stream : options.partition_topic_name
  const partitioner: Data = { stream, partition_key: options.partition_key, partition_map: options.partition_map, partition_default: options.partition_default }
  report.mapped(`${path}.options`, 'partitioner', `${typeof templates.partition_stream === 'string' ? 'templates.partition_stream' : 'partition_topic_name'} becomes partitioner.stream; partition_key, partition_map and partition_default keep their names`)
  config.partitioner = partitioner
}

function importQueueOptions (options: Data, path: string, config: Data, report: ImportReport): void {
  const brokers = typeof options.metadata_broker_list === 'string' ? options.metadata_broker_list.split(',').map((b) => b.trim()).filter((b) => b !== '') : []
  config.kafka = { brokers }
  for (const [key, value] of Object.entries(options)) {
    const at = `${path}.${key}`
    switch (key) {
      case 'templates': break
      case 'metadata_broker_list': report.mapped(at, 'kafka.brokers', 'KAFKA_BROKERS overrides it'); break
      case 'uri': report.dropped(at, 'a ZooKeeper address: Sluice talks to the brokers (set kafka.brokers or KAFKA_BROKERS)'); break
      case 'dc_name':
        config.topic_prefix = `${String(value)}.`
        report.mapped(at, 'topic_prefix', 'topics are read and written as <dc_name>.<stream>')
        break
      case 'consume_dc':
      case 'produce_dc': importDcPrefix(options, at, config, report); break
      case 'concurrency':
      case 'blacklist':
      case 'disable_blacklist':
      case 'sample':
        config[key] = value
        report.mapped(at, key, 'the default of every rule')
        break
      case 'disable_ratelimit': report.mapped(at, 'rules.*.limiters', value === true ? 'limiters are left out of every rule' : 'limiters are kept'); break
      case 'disable_delayed_execution': report.mapped(at, 'rules.*.delay_until', value === true ? 'no rule waits for the delay_until of its events' : 'every rule waits for the delay_until of its events'); break
      case 'reenqueue_delay': importReenqueueDelay(value, at, config, report); break
      case 'producer': importProducer(value, at, config, report); break
      default: report.dropped(at, droppedQueueOption(key))
    }
  }
}

function importDcPrefix (options: Data, at: string, config: Data, report: ImportReport): void {
  if (typeof options.dc_name === 'string') {
    report.dropped(at, 'dc_name sets both sides')
    return
  }
  const produce = typeof options.produce_dc === 'string' ? options.produce_dc : 'datacenter1'
  const consume = typeof options.consume_dc === 'string' ? options.consume_dc : 'datacenter1'
  config.topic_prefix = `${produce}.`
  if (consume !== produce) config.consume_topic_prefixes = [`${consume}.`]
  report.mapped(at, consume === produce || at.endsWith('produce_dc') ? 'topic_prefix' : 'consume_topic_prefixes', 'topics are read from <consume_dc>. and written to <produce_dc>.')
}

function importProducer (value: unknown, at: string, config: Data, report: ImportReport): void {
  for (const [key, setting] of Object.entries(isObject(value) ? value : {})) {
    if ((key === 'linger.ms' || key === 'queue.buffering.max.ms') && Number.isInteger(Number(setting))) {
      config.kafka = { ...(config.kafka as Data), linger_ms: Number(setting) }
      report.mapped(`${at}.${key}`, 'kafka.linger_ms', 'how long a produced event waits for others to share its batch')
    } else {
      report.dropped(`${at}.${key}`, 'a librdkafka producer property; Sluice\'s producer settings are kafka.linger_ms, kafka.max_batch_records and kafka.produce_timeout_ms')
    }
  }
}

/**
 * The reference slept `reenqueue_delay` seconds on an event due later than that, then wrote it
 * back to its topic; Sluice holds a delayed event at most `delay_hold_max_ms`, then writes it
 * back to the end of its delay topic: the same setting, in milliseconds, within Sluice's bounds.
 */
function importReenqueueDelay (value: unknown, at: string, config: Data, report: ImportReport): void {
  if (typeof value !== 'number' || !(value > 0)) {
    report.dropped(at, 'not a number of seconds')
    return
  }
  config.delay_hold_max_ms = Math.min(86400000, Math.max(1000, Math.round(value * 1000)))
  report.mapped(at, 'delay_hold_max_ms', 'seconds become milliseconds (between 1 s and 1 day); a delayed event due later is held this long, then written back to the end of its delay topic')
}

function droppedQueueOption (key: string): string {
  switch (key) {
    case 'consumer': return 'librdkafka consumer properties; Sluice\'s consumer settings are kafka.fetch_max_bytes, kafka.session_timeout_ms and kafka.heartbeat_interval_ms'
    case 'startup_delay': return 'Sluice consumes as soon as every rule\'s consumers joined their groups'
    case 'test_mode': return 'no test mode: point kafka.brokers at a test cluster instead'
    case 'consumer_batch_size': return 'the consumer fetches by bytes (kafka.fetch_max_bytes)'
    case 'budgeteer': return 'no Sluice counterpart'
    default: return 'not a setting of the reference\'s /sys/queue module that Sluice knows'
  }
}
