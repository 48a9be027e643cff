import { isObject } from './data.js'
import type { Data } from './data.js'
import type { ImportReport } from './report.js'

// The reference's /sys/ module stanzas: found by their path, and each but the queue's (limit,
// dedupe, purge, links, partition; queue-options.ts has the queue's) turned into the Sluice keys
// that do its work.

/** One /sys/ module stanza: where it is, and its options. */
export interface Module {
  path: string
  options: Data
}

/** The x-modules of `spec.paths`, by the last segment of their path (`/sys/queue` and `/{api:sys}/queue` alike). */
export function modulesOf (spec: Data, report: ImportReport): Map<string, Module> {
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

export function importLimit (module: Module | undefined, config: Data, report: ImportReport): Set<string> {
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

export function importDedupe (module: Module | undefined, config: Data, report: ImportReport): void {
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

export function importPurge (module: Module | undefined, config: Data, report: ImportReport): void {
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

export function importLinks (module: Module | undefined, config: Data, report: ImportReport): void {
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

export function importPartition (module: Module | undefined, config: Data, report: ImportReport): void {
  if (module === undefined) return
  const { options, path } = module
  const templates = isObject(options.templates) ? options.templates : {}
  const stream = typeof templates.partition_stream === 'string' ? templates.partition_stream : options.partition_topic_name
  const partitioner: Data = { stream, partition_key: options.partition_key, partition_map: options.partition_map, partition_default: options.partition_default }
  report.mapped(`${path}.options`, 'partitioner', `${typeof templates.partition_stream === 'string' ? 'templates.partition_stream' : 'partition_topic_name'} becomes partitioner.stream; partition_key, partition_map and partition_default keep their names`)
  config.partitioner = partitioner
}
