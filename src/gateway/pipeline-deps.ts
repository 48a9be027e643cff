import type { EventProducer } from '../kafka/index.js'
import type { GatewayMetrics } from '../metrics/gateway.js'
import { connectRedis } from '../redis.js'
import type { SchemaResolver } from '../schemas/index.js'
import type { ServiceContext, ShutdownStep } from '../service/index.js'
import type { GatewayConfig } from './config.js'
import { createEcho } from './echo.js'
import { createIntakeDedupe, createMemoryDedupeStore, createRedisDedupeStore } from './pipeline/dedupe.js'
import type { DedupeStore } from './pipeline/dedupe.js'
import { asList } from './pipeline/event-fields.js'
import type { PipelineDeps } from './pipeline/index.js'
import { createStreamLimits } from './pipeline/stream-limits.js'
import type { GatewayStreamConfig } from './stream-config.js'

/** The gateway's parts the pipeline runs on. */
export interface PipelineParts {
  resolver: SchemaResolver
  streams: GatewayStreamConfig
  producer: EventProducer
  metrics: GatewayMetrics
}

/** What every event goes through, request to produce; a Redis dedupe store's disconnect joins `closers`. */
export async function createPipelineDeps (config: Readonly<GatewayConfig>, context: ServiceContext, parts: PipelineParts, closers: ShutdownStep[]): Promise<PipelineDeps> {
  const { metrics } = parts
  return {
    enrichPlans: new WeakMap(),
    resolver: parts.resolver,
    streams: () => parts.streams.index(),
    fetchUnknownStreams: parts.streams.fetchUnknown,
    producer: parts.producer,
    limits: createStreamLimits(),
    dedupe: createIntakeDedupe({
      store: await dedupeStore(config, context, closers),
      // A claim outlives one produce attempt (its bound), so a replica that died frees the id.
      pendingMs: config.kafka.produce_timeout_ms + 1000,
      onStoreError: () => { metrics.dedupeStoreErrors.inc() }
    }),
    echo: createEcho(config.answer_max_string_length),
    metrics,
    logger: context.logger,
    now: context.now,
    newId: context.newId,
    settings: pipelineSettings(config)
  }
}

/** The pipeline's settings, from the gateway's config. */
function pipelineSettings (config: Readonly<GatewayConfig>): PipelineDeps['settings'] {
  return {
    schemaUriFields: asList(config.schema_uri_field),
    streamFields: asList(config.stream_field),
    dtField: config.dt_field,
    metaDtPolicy: config.meta_dt_policy,
    maxTimestampSkewMs: config.max_timestamp_skew_ms,
    topicPrefix: config.topic_prefix,
    legacyTopicsHome: config.legacy_topics_home,
    eventServiceName: config.event_service_name,
    headersToFields: config.http_request_headers_to_fields,
    schemaUriQueryParam: config.schema_uri_query_param,
    streamQueryParam: config.stream_query_param,
    maxMessageBytes: config.kafka.max_message_bytes,
    errorStream: config.error_stream,
    errorSchemaUri: config.error_schema_uri,
    emitterId: config.user_agent,
    echoMaxStringLength: config.answer_max_string_length,
    errorRawEventMaxBytes: config.error_raw_event_max_bytes
  }
}

/** Accepted event ids: in Redis when configured (every replica sees them), else in this process. */
async function dedupeStore (config: Readonly<GatewayConfig>, context: ServiceContext, closers: ShutdownStep[]): Promise<DedupeStore> {
  if (config.redis === undefined) return createMemoryDedupeStore(config.dedupe_max_keys)
  // Until Redis answers, intake fails open.
  const redis = await connectRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, logger: context.logger })
  closers.push({ name: 'redis', close: async () => { redis.disconnect() } })
  return createRedisDedupeStore(redis, config.redis.key_prefix)
}
