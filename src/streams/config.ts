import type { FromSchema } from '../config/from-schema.js'
import type { ConfigFile, EnvOverride } from '../config/load.js'
import { commonEnvOverrides, loadConfig, redisProperties, redisSchema } from '../config/load.js'
import { kafkaBrokersSchema, kafkaHealthCheckSchema, kafkaSecuritySchema, readerConfigSchema } from '../kafka/index.js'
import { serviceHeadProperties } from '../service/index.js'
import { legacyTopicsHomeSchema, streamConfigSourceProperties } from '../stream-config/index.js'

const positiveInt = { type: 'integer', minimum: 1 } as const

/**
 * The stream service's configuration. Keys carry EventStreams' names wherever EventStreams has
 * the setting (port, stream_config_uri, allowed_streams, stream_aliases,
 * client_ip_connection_limit, stream_ui_enabled, ...); defaults live here and nowhere else.
 */
export const streamsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...serviceHeadProperties({ serviceName: 'sluice-streams', port: 8194, shutdownGraceMs: 5000 }),
    /** The stream config the gateway reads: a file, a directory of YAML files, or an http(s) URL. */
    stream_config_uri: { type: 'string', minLength: 1, default: 'stream-config/' },
    /** Seconds between re-reads of the stream config; 0 reads it once (and on SIGHUP). */
    stream_config_ttl: { type: 'integer', minimum: 0, default: 0 },
    stream_config_fetch_timeout_ms: { type: 'integer', minimum: 1, default: 5000 },
    ...streamConfigSourceProperties,
    /** Settings every stream gets unless it sets them itself (EventStreams' stream_config_defaults). */
    stream_config_defaults: { type: 'object', default: {} },
    /** The `topic_prefix` of the datacenter owning legacy `eventlogging_*` streams' bare topic names; unset: every datacenter its own. */
    legacy_topics_home: legacyTopicsHomeSchema,
    /** Only these streams are served; unset serves every stream of the config (regexes never). */
    allowed_streams: { type: 'array', items: { type: 'string', minLength: 1 } },
    /** Stream name → other names it is also served under. */
    stream_aliases: {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
      default: {}
    },
    /** Concurrent streams per client IP (X-Client-IP); unset means no limit. */
    client_ip_connection_limit: positiveInt,
    /** Exact client IPs with their own limit (shared egress such as Toolforge). */
    client_ip_connection_limit_overrides: { type: 'object', additionalProperties: positiveInt, default: {} },
    /** Seconds a client waits before retrying after a 429. */
    client_ip_retry_after_seconds: { ...positiveInt, default: 5 },
    /** Streams this process serves at once; beyond it new ones get 503. */
    max_connections: { ...positiveInt, default: 10000 },
    /** Streams one request may name (after aliases). */
    max_streams_per_request: { ...positiveInt, default: 50 },
    /** filter[...] parameters per request, and values per filter. */
    max_filters: { ...positiveInt, default: 20 },
    max_filter_values: { ...positiveInt, default: 100 },
    /** An SSE comment while no event was written for this long; 0 sends none. */
    heartbeat_interval_ms: { type: 'integer', minimum: 0, default: 15000 },
    /** A stream ends cleanly after a whole event once it is this old; 0 means never. */
    max_connection_lifetime_ms: { type: 'integer', minimum: 0, default: 0 },
    /** Bytes written to a client but not yet taken by it; beyond it the client gets `event: error` and is disconnected. */
    max_client_buffer_bytes: { type: 'integer', minimum: 65536, default: 4194304 },
    /**
     * A stream opened while Kafka does not answer is accepted (`:ok`, heartbeats) and starts once
     * Kafka answers; after this long without an answer it ends with `event: error`, and the
     * client reconnects.
     */
    kafka_unavailable_wait_ms: { type: 'integer', minimum: 0, maximum: 3600000, default: 30000 },
    /**
     * Live events go to each client at most once per this many ms, together: a write per client
     * per fetch costs a many-client fan-out most of its CPU. Adds at most this much latency; 0
     * writes after every turn of the event loop.
     */
    live_write_interval_ms: { type: 'integer', minimum: 0, maximum: 1000, default: 20 },
    /** How long ?order=time holds events back to put partitions and datacenters in time order. */
    order_window_ms: { type: 'integer', minimum: 0, maximum: 60000, default: 1000 },
    /**
     * EventStreams' exact behaviour where Sluice improves on it: ids carry `timestamp+1` or
     * `offset` as EventStreams' do, a Last-Event-ID replaces the stream's topic list, and a
     * configured topic missing from Kafka answers 404.
     */
    eventstreams_compatible: { type: 'boolean', default: false },
    /** Domain → page titles whose performers are removed from events (EventStreams' T354456). */
    mediawiki_redacted_pages: {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
      default: {}
    },
    stream_ui_enabled: { type: 'boolean', default: true },
    /** The schema repository whose versions are the messages of GET /?asyncapi (a directory). */
    asyncapi_schema_repository: { type: 'string', minLength: 1, default: 'schemas/' },
    /** AsyncAPI server objects by name (the Kafka clusters), copied into GET /?asyncapi. */
    asyncapi_servers: { type: 'object', additionalProperties: { type: 'object' }, default: {} },
    /** With Redis, the per-IP limit counts every replica's connections, not only this process's. */
    redis: {
      ...redisSchema,
      properties: {
        ...redisProperties,
        /** A replica that died without decrementing stops counting after this long. */
        connection_ttl_ms: { type: 'integer', minimum: 1000, default: 60000 }
      }
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        brokers: kafkaBrokersSchema,
        client_id: { type: 'string', minLength: 1, default: 'sluice-streams' },
        ...readerConfigSchema,
        ...kafkaHealthCheckSchema,
        ...kafkaSecuritySchema
      }
    }
  }
} as const

/** The stream service's configuration once validated: derived from the schema. */
export type StreamsConfig = FromSchema<typeof streamsConfigSchema>

export const streamsEnvOverrides: readonly EnvOverride[] = commonEnvOverrides

/**
 * Loads the configuration file (or the defaults when `file` is undefined), applies top-level
 * `overrides` (tests, `sluice up`) and then the PORT / KAFKA_BROKERS environment variables, and
 * validates the result once.
 */
export async function loadStreamsConfig (file: string | ConfigFile | undefined, env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): Promise<Readonly<StreamsConfig>> {
  const base = file === undefined ? {} : await loadConfig({ file, schema: { type: 'object' } as const })
  return loadConfig({ data: { ...base, ...overrides }, schema: streamsConfigSchema, env, envOverrides: streamsEnvOverrides })
}
