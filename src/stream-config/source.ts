import type { Dispatcher } from 'undici'
import type { Logger } from '../logger.js'
import type { StreamConfigLoaderOptions } from './loader.js'

/**
 * How a service fetches its stream config, as config-schema properties shared by the gateway
 * and the stream service. Keys carry EventGate's names where it has the setting
 * (`stream_config_uri_options`, `stream_config_object_path`, `stream_config_retries`).
 */
export const streamConfigSourceProperties = {
  /** Options of the HTTP fetch: `headers`, e.g. `{Host: meta.wikimedia.org}` for an internal API endpoint. */
  stream_config_uri_options: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} }
    }
  },
  /** Dotted path of the settings in the HTTP answer; unset: EventStreamConfig's `streams` envelope when present. */
  stream_config_object_path: { type: 'string', minLength: 1 },
  /** A failed HTTP fetch is tried again at most this many times (the first load, TTL reloads, SIGHUP). */
  stream_config_retries: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
  /** Wait before the first retry; each next one waits twice as long (at most 30 s), with jitter. */
  stream_config_retry_delay_ms: { type: 'integer', minimum: 1, maximum: 60000, default: 500 },
  /** An http(s) source is asked for a stream the loaded config lacks (`streams=<name>`), so a new stream needs no restart. */
  stream_config_fetch_unknown: { type: 'boolean', default: false },
  /** A stream the source did not know is not asked for again for this long (the negative cache). */
  stream_config_unknown_ttl_ms: { type: 'integer', minimum: 0, default: 60000 },
  /** Streams remembered as unknown, and streams learnt on demand, at most each (the earliest go first). */
  stream_config_max_unknown: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000 }
} as const

/** The keys of `streamConfigSourceProperties` once validated (defaults filled in). */
export interface StreamConfigSourceConfig {
  stream_config_uri_options: { headers: Readonly<Record<string, string>> }
  stream_config_object_path?: string | undefined
  stream_config_retries: number
  stream_config_retry_delay_ms: number
  stream_config_fetch_unknown: boolean
  stream_config_unknown_ttl_ms: number
  stream_config_max_unknown: number
}

/** The loader options of a service's config. */
export function streamConfigLoaderOptions (
  uri: string,
  config: Readonly<StreamConfigSourceConfig>,
  deps: { cwd: string, dispatcher: Dispatcher, timeoutMs: number, logger: Logger }
): StreamConfigLoaderOptions {
  return {
    uri,
    cwd: deps.cwd,
    dispatcher: deps.dispatcher,
    timeoutMs: deps.timeoutMs,
    logger: deps.logger,
    headers: config.stream_config_uri_options.headers,
    objectPath: config.stream_config_object_path,
    retries: config.stream_config_retries,
    retryDelayMs: config.stream_config_retry_delay_ms,
    onDemand: config.stream_config_fetch_unknown
      ? { unknownTtlMs: config.stream_config_unknown_ttl_ms, maxUnknown: config.stream_config_max_unknown }
      : undefined
  }
}
