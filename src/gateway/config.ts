import type { FromSchema } from '../config/from-schema.js'
import type { ConfigFile, EnvOverride } from '../config/load.js'
import { commonEnvOverrides, loadConfig, redisSchema } from '../config/load.js'
import { intakeProducerConfigSchema, kafkaBrokersSchema, kafkaCompressionSchema, kafkaIdempotentSchema, kafkaSecuritySchema, producerConfigSchema } from '../kafka/index.js'
import { serviceHeadProperties } from '../service/index.js'
import { legacyTopicsHomeSchema, legacyTopicsHomeVariable, streamConfigSourceProperties } from '../stream-config/index.js'

const stringOrList = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }
  ]
} as const

const event = { type: 'object' } as const

/**
 * The gateway's configuration. Keys carry EventGate's names wherever EventGate has
 * the setting, so its operators recognise them; defaults live here and nowhere else.
 */
export const gatewayConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...serviceHeadProperties({ serviceName: 'sluice-gateway', port: 8192, shutdownGraceMs: 8000 }),
    max_body_size: {
      anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)?$' }],
      default: '10mb'
    },
    max_events_per_request: { type: 'integer', minimum: 1, default: 10000 },
    /** Events of hasty requests accepted and not yet produced; beyond it a hasty answer waits for room. */
    hasty_max_pending_events: { type: 'integer', minimum: 1, default: 10000 },
    max_event_depth: { type: 'integer', minimum: 2, maximum: 1000, default: 64 },
    request_timeout_ms: { type: 'integer', minimum: 1, default: 30000 },
    schema_base_uris: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['schemas/'] },
    schema_file_extension: { type: 'string', pattern: '^\\.[A-Za-z0-9]+$' },
    allow_absolute_schema_uris: { type: 'boolean', default: false },
    schema_uri_field: { ...stringOrList, default: '$schema' },
    stream_field: { ...stringOrList, default: 'meta.stream' },
    dt_field: { type: 'string', minLength: 1, default: 'meta.dt' },
    /** `meta.dt`: keep (never filled), fill when absent (EventGate), or intake (always the intake time); a stream's `meta_dt_policy` wins. */
    meta_dt_policy: { enum: ['keep', 'fill', 'intake'], default: 'fill' },
    /** The Kafka record timestamp stays within this much of the intake time (clamped); a stream's setting wins. */
    max_timestamp_skew_ms: { type: 'integer', minimum: 0, default: 3600000 },
    schema_uri_query_param: { type: 'string', minLength: 1 },
    stream_query_param: { type: 'string', minLength: 1 },
    stream_config_uri: { type: 'string', minLength: 1 },
    stream_config_ttl: { type: 'integer', minimum: 0, default: 0 },
    ...streamConfigSourceProperties,
    /** When set, streams whose `destination_event_service` names another service are not configured here. */
    event_service_name: { type: 'string', minLength: 1 },
    topic_prefix: { type: 'string', pattern: '^[A-Za-z0-9._-]*$', default: '' },
    legacy_topics_home: legacyTopicsHomeSchema,
    error_stream: { type: 'string', minLength: 1, default: 'eventgate.error.validation' },
    error_schema_uri: { type: 'string', minLength: 1, default: '/error/2.1.0' },
    /** Longest string an answer or an error event copies from the request; longer ones are cut and marked. */
    answer_max_string_length: { type: 'integer', minimum: 64, maximum: 1048576, default: 2048 },
    /** Bytes of the invalid event an error event's raw_event keeps (at most 3/4 of kafka.max_message_bytes). */
    error_raw_event_max_bytes: { type: 'integer', minimum: 1024, default: 262144 },
    test_events: { anyOf: [event, { type: 'array', items: event, minItems: 1 }] },
    schema_precache_uris: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    schema_fetch_timeout_ms: { type: 'integer', minimum: 1, default: 5000 },
    schema_max_bytes: { type: 'integer', minimum: 1, default: 1048576 },
    schema_failure_retry_ms: { type: 'integer', minimum: 0, default: 10000 },
    schema_git: {
      type: 'object',
      additionalProperties: false,
      required: ['repository'],
      properties: {
        repository: { type: 'string', minLength: 1 },
        ref: { type: 'string', minLength: 1, default: 'main' },
        path: { type: 'string', default: 'schemas' },
        poll_interval_ms: { type: 'integer', minimum: 0, default: 60000 },
        cache_dir: { type: 'string', minLength: 1, default: '.cache/schema-git' }
      }
    },
    http_request_headers_to_fields: {
      type: 'object',
      additionalProperties: { type: 'string', minLength: 1 },
      default: { 'x-request-id': 'meta.request_id', 'user-agent': 'http.request_headers.user-agent' }
    },
    user_agent: { type: 'string', minLength: 1, default: 'sluice' },
    /** CloudEvents 1.0 at POST /v1/events: where the schema and the stream of a CloudEvent come from. */
    cloudevents: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        schema_attribute: { type: 'string', pattern: '^[a-z0-9]{1,20}$', default: 'dataschema' },
        stream_attribute: { type: 'string', pattern: '^[a-z0-9]{1,20}$', default: 'stream' },
        type_streams: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, default: {} },
        dataschema_prefixes: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] }
      }
    },
    /** EventLogging's GET /beacon/event: the $schema of each legacy schema, and the longest capsule. */
    beacon: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        schemas: { type: 'object', propertyNames: { pattern: '^[A-Za-z0-9_]+$' }, additionalProperties: { type: 'string', minLength: 1 }, default: {} },
        max_capsule_bytes: { type: 'integer', minimum: 256, maximum: 65536, default: 8192 }
      }
    },
    /** Accepted event ids remembered in memory for streams with dedupe_window_ms (the oldest go first). */
    dedupe_max_keys: { type: 'integer', minimum: 1, default: 100000 },
    /** With Redis, accepted event ids are shared by every gateway replica. */
    redis: redisSchema,
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        brokers: kafkaBrokersSchema,
        client_id: { type: 'string', minLength: 1, default: 'sluice-gateway' },
        ...producerConfigSchema,
        ...intakeProducerConfigSchema,
        compression: kafkaCompressionSchema,
        idempotent: kafkaIdempotentSchema,
        ...kafkaSecuritySchema
      }
    }
  }
} as const

/** The gateway's configuration once validated: derived from the schema, so the two cannot drift. */
export type GatewayConfig = FromSchema<typeof gatewayConfigSchema>

export const gatewayEnvOverrides: readonly EnvOverride[] = [
  ...commonEnvOverrides,
  { variable: 'TOPIC_PREFIX', pointer: '/topic_prefix', parse: 'string' },
  { variable: legacyTopicsHomeVariable, pointer: '/legacy_topics_home', parse: 'string' }
]

export async function loadGatewayConfig (file: string | ConfigFile | undefined, env: NodeJS.ProcessEnv): Promise<Readonly<GatewayConfig>> {
  return loadConfig({ file, schema: gatewayConfigSchema, env, envOverrides: gatewayEnvOverrides })
}

/** '10mb' → 10485760. The schema already guarantees the format. */
export function parseByteSize (value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value.trim())
  if (match === null) throw new TypeError(`not a byte size: ${value}`)
  const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }
  return Math.floor(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1))
}
