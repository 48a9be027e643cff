import type { EnvOverride } from '../config/load.js'
import { partitionerNames } from '../kafka/index.js'
import type { PartitionerName } from '../kafka/index.js'
import { commonEnvOverrides, kafkaBrokersSchema, kafkaHealthCheckSchema, loadConfig } from '../config/load.js'

/**
 * The gateway's configuration. Keys carry EventGate's names wherever EventGate has
 * the setting, so its operators recognise them; defaults live in the schema below.
 */
export interface GatewayConfig {
  service_name: string
  port: number
  listen_address: string
  log_level: string
  max_body_size: string | number
  max_events_per_request: number
  max_event_depth: number
  request_timeout_ms: number
  log_max_string_length: number
  schema_base_uris: string[]
  schema_file_extension?: string
  allow_absolute_schema_uris: boolean
  schema_uri_field: string | string[]
  stream_field: string | string[]
  dt_field: string
  stream_config_uri?: string
  stream_config_ttl: number
  topic_prefix: string
  error_stream: string
  error_schema_uri: string
  test_events?: Record<string, unknown> | Array<Record<string, unknown>>
  schema_precache_uris: string[]
  schema_fetch_timeout_ms: number
  schema_max_bytes: number
  schema_failure_retry_ms: number
  schema_git?: {
    repository: string
    ref: string
    path: string
    poll_interval_ms: number
    cache_dir: string
  }
  http_request_headers_to_fields: Record<string, string>
  cors: string | false
  user_agent: string
  shutdown_grace_ms: number
  kafka: {
    brokers: string[]
    client_id: string
    linger_ms: number
    max_batch_records: number
    max_batch_bytes: number
    produce_timeout_ms: number
    max_message_bytes: number
    compression: 'none' | 'gzip'
    partitioner: PartitionerName
    health_check_interval_ms: number
    health_check_timeout_ms: number
  }
}

const stringOrList = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }
  ]
}

const event = { type: 'object' }

export const gatewayConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service_name: { type: 'string', minLength: 1, default: 'sluice-gateway' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8192 },
    listen_address: { type: 'string', minLength: 1, default: '0.0.0.0' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    max_body_size: {
      anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)?$' }],
      default: '10mb'
    },
    max_events_per_request: { type: 'integer', minimum: 1, default: 10000 },
    max_event_depth: { type: 'integer', minimum: 2, maximum: 1000, default: 64 },
    request_timeout_ms: { type: 'integer', minimum: 1, default: 30000 },
    log_max_string_length: { type: 'integer', minimum: 64, default: 2048 },
    schema_base_uris: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['schemas/'] },
    schema_file_extension: { type: 'string', pattern: '^\\.[A-Za-z0-9]+$' },
    allow_absolute_schema_uris: { type: 'boolean', default: false },
    schema_uri_field: { ...stringOrList, default: '$schema' },
    stream_field: { ...stringOrList, default: 'meta.stream' },
    dt_field: { type: 'string', minLength: 1, default: 'meta.dt' },
    stream_config_uri: { type: 'string', minLength: 1 },
    stream_config_ttl: { type: 'integer', minimum: 0, default: 0 },
    topic_prefix: { type: 'string', pattern: '^[A-Za-z0-9._-]*$', default: '' },
    error_stream: { type: 'string', minLength: 1, default: 'eventgate.error.validation' },
    error_schema_uri: { type: 'string', minLength: 1, default: '/error/2.1.0' },
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
    cors: { anyOf: [{ type: 'string', minLength: 1 }, { const: false }], default: '*' },
    user_agent: { type: 'string', minLength: 1, default: 'sluice' },
    shutdown_grace_ms: { type: 'integer', minimum: 0, default: 8000 },
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        brokers: kafkaBrokersSchema,
        client_id: { type: 'string', minLength: 1, default: 'sluice-gateway' },
        linger_ms: { type: 'integer', minimum: 0, default: 2 },
        max_batch_records: { type: 'integer', minimum: 1, default: 1000 },
        max_batch_bytes: { type: 'integer', minimum: 1024, default: 1048576 },
        produce_timeout_ms: { type: 'integer', minimum: 1, default: 5000 },
        max_message_bytes: { type: 'integer', minimum: 1024, default: 1000000 },
        compression: { enum: ['none', 'gzip'], default: 'none' },
        partitioner: { enum: partitionerNames, default: 'consistent_random' },
        ...kafkaHealthCheckSchema
      }
    }
  }
} as const

export const gatewayEnvOverrides: readonly EnvOverride[] = [
  ...commonEnvOverrides,
  { variable: 'TOPIC_PREFIX', pointer: '/topic_prefix', parse: 'string' }
]

export async function loadGatewayConfig (file: string | undefined, env: NodeJS.ProcessEnv): Promise<Readonly<GatewayConfig>> {
  return loadConfig<GatewayConfig>({ file, schema: gatewayConfigSchema, env, envOverrides: gatewayEnvOverrides })
}

/** '10mb' → 10485760. The schema already guarantees the format. */
export function parseByteSize (value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value.trim())
  if (match === null) throw new TypeError(`not a byte size: ${value}`)
  const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }
  return Math.floor(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1))
}
