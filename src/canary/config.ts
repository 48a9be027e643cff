import type { FromSchema } from '../config/from-schema.js'
import { loadConfig, validateConfig } from '../config/load.js'

/** An http(s) URL without user:password@: the URLs are printed with each outcome and in errors. */
const httpUrl = { type: 'string', pattern: '^https?://[^\\s/@]+(/\\S*)?$' } as const

/** One gateway of a datacenter: its events URL, or the URL and the one event service it is. */
const gatewaySchema = {
  anyOf: [
    httpUrl,
    {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: httpUrl,
        /** Takes only the streams whose `destination_event_service` is this name. */
        event_service: { type: 'string', minLength: 1 }
      }
    }
  ]
} as const

/**
 * `sluice canary`'s configuration: where the stream config and the schemas are (as in the
 * gateway's config), which gateways each datacenter has, and where the run's metrics go.
 * Defaults live here and nowhere else.
 */
export const canaryConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** A YAML file, a directory of YAML files, or an http(s) URL (EventStreamConfig's API). */
    stream_config_uri: { type: 'string', minLength: 1, default: 'stream-config/' },
    schema_base_uris: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, default: ['schemas/'] },
    schema_file_extension: { type: 'string', pattern: '^\\.[A-Za-z0-9]+$' },
    schema_max_bytes: { type: 'integer', minimum: 1, default: 1048576 },
    /** Timeout of one stream config or schema fetch. */
    fetch_timeout_ms: { type: 'integer', minimum: 1, default: 5000 },
    /** Datacenter → its gateways' `POST /v1/events` URLs; every canary stream is posted to each datacenter. */
    gateways: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$' },
      additionalProperties: { type: 'array', items: gatewaySchema, minItems: 1 },
      default: {}
    },
    /** Only these streams (each must have canary_events_enabled); empty: every stream that has it. */
    streams: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    /** Timeout of one POST, as MediaWiki's EventBus waits for EventGate. */
    request_timeout_ms: { type: 'integer', minimum: 1, maximum: 600000, default: 10000 },
    /** Canary events per POST at most (the gateway's max_events_per_request is 10000). */
    max_events_per_request: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
    user_agent: { type: 'string', minLength: 1, default: 'sluice-canary' },
    /** A Prometheus Pushgateway the run's metrics are pushed to. */
    pushgateway: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: httpUrl,
        job: { type: 'string', pattern: '^[A-Za-z0-9_.:-]+$', default: 'sluice_canary' },
        /** More grouping labels (e.g. namespace), pushed on every series of the group. */
        grouping: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9_.:-]+$' }, default: {} },
        timeout_ms: { type: 'integer', minimum: 1, default: 5000 }
      }
    }
  }
} as const

export type CanaryConfig = FromSchema<typeof canaryConfigSchema>

/**
 * Reads and validates the file (or an empty config), then puts `overrides` (command-line flags,
 * whole keys) over it and validates the result again.
 */
export async function loadCanaryConfig (file: string | undefined, overrides: Record<string, unknown> = {}): Promise<Readonly<CanaryConfig>> {
  const fromFile = await loadConfig({ file, schema: canaryConfigSchema })
  if (Object.keys(overrides).length === 0) return fromFile
  return validateConfig({ ...structuredClone(fromFile), ...overrides }, canaryConfigSchema, `${file ?? 'configuration'} with the command line`)
}
