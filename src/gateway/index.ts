import type { FastifyInstance } from 'fastify'
import { createGatewayMetrics } from '../metrics/gateway.js'
import { createSchemaMetrics } from '../metrics/schemas.js'
import type { SchemaResolver } from '../schemas/index.js'
import { buildService, closeInOrder, kafkaSettings, producerSettings, readServiceInfo, requireProducer, serviceLogger, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, Service, ServiceContext, ServiceDefinition, ShellService, ShutdownStep } from '../service/index.js'
import { buildGatewayApp } from './app.js'
import { createEcho } from './echo.js'
import { createBackgroundTasks } from './background.js'
import type { GatewayConfig } from './config.js'
import { parseByteSize } from './config.js'
import { asList } from './pipeline/event-fields.js'
import type { PipelineDeps } from './pipeline/index.js'
import { createStreamLimits } from './pipeline/stream-limits.js'
import { createIntakeDedupe, createMemoryDedupeStore, createRedisDedupeStore } from './pipeline/dedupe.js'
import type { DedupeStore } from './pipeline/dedupe.js'
import { connectRedis } from '../redis.js'
import { schemaRegistryRoutes } from './schema-registry.js'
import { openSchemaSources } from './schema-sources.js'
import { startStreamConfig } from './stream-config.js'

export type { GatewayConfig } from './config.js'
export { loadGatewayConfig, gatewayConfigSchema } from './config.js'

export interface GatewayService extends Service {
  app: FastifyInstance
  resolver: SchemaResolver
  /** Listens on the configured address and port; resolves to a line naming the bound URL. */
  start(): Promise<string>
  /** The bound URL, once started. */
  readonly url: string | undefined
  /** Re-reads the stream config and the git schema repository (SIGHUP, POST /admin/reload). */
  reload(): Promise<{ streams: boolean, schemas: boolean }>
}

/** The gateway as built by the shell: `close()` closes the gateway, then its context. */
export type Gateway = ShellService<GatewayService>

/**
 * The gateway as the service shell runs it. Its context's HTTP agent fetches schemas and the
 * stream config; its producer connects in the background (`monitor()`), so the gateway starts,
 * not ready, while Kafka is down.
 */
export const gatewayService: ServiceDefinition<GatewayConfig, GatewayService> = {
  name: 'gateway',
  context: (config) => ({
    logger: serviceLogger(config),
    dispatcher: { connect: { timeout: config.schema_fetch_timeout_ms }, keepAliveTimeout: 10000 },
    kafka: kafkaSettings(config.kafka, config.kafka.client_id),
    producer: {
      ...producerSettings(config.kafka, config.kafka.client_id),
      maxBatchBytes: config.kafka.max_batch_bytes,
      compression: config.kafka.compression,
      idempotent: config.kafka.idempotent
    }
  }),
  shutdownMs: (config) => config.shutdown_grace_ms,
  unusable: withoutBrokers,
  build: buildGateway
}

/** Builds the gateway on its context (tests, `sluice up`); `close()` closes the context too. */
export async function createGateway (config: Readonly<GatewayConfig>, options: { cwd: string } & ContextOverrides): Promise<Gateway> {
  return buildService(gatewayService, config, options)
}

/**
 * The gateway's composition root: loads the stream config, opens the schema sources and builds
 * the HTTP app on the context's logger, registry, HTTP agent and producer. Nothing listens yet.
 */
async function buildGateway (config: Readonly<GatewayConfig>, context: ServiceContext): Promise<GatewayService> {
  const { logger, registry } = context
  const producer = requireProducer(context)
  const metrics = createGatewayMetrics(registry)
  const schemaMetrics = createSchemaMetrics(registry)
  /** What stops the gateway's own timers (the stream config's re-reads). */
  const stops: Array<() => void> = []
  // Closed in reverse order, after the HTTP app and the background tasks.
  const closers: ShutdownStep[] = []

  try {
    // Kafka first, so that connecting overlaps loading the stream config and the schemas.
    // monitor() keeps readiness following Kafka from here on.
    producer.monitor()

    const streams = await startStreamConfig(config, context, metrics)
    stops.push(() => { streams.stop() })

    const schemas = await openSchemaSources(config, context, schemaMetrics, closers)
    const registryRoutes = await schemaRegistryRoutes(config, context, schemas.git, { streams, metrics: schemaMetrics })

    const background = createBackgroundTasks(logger, {
      onSizeChange: (size) => metrics.backgroundTasks.set(size),
      onWaitingChange: (waiting) => metrics.hastyWaiting.set(waiting),
      maxWeight: config.hasty_max_pending_events
    })
    const pipeline: PipelineDeps = {
      enrichPlans: new WeakMap(),
      resolver: schemas.resolver,
      streams: () => streams.index(),
      fetchUnknownStreams: streams.fetchUnknown,
      producer,
      limits: createStreamLimits(),
      dedupe: createIntakeDedupe({
        store: await dedupeStore(config, context, closers),
        // A claim outlives one produce attempt (its bound), so a replica that died frees the id.
        pendingMs: config.kafka.produce_timeout_ms + 1000,
        onStoreError: () => { metrics.dedupeStoreErrors.inc() }
      }),
      echo: createEcho(config.answer_max_string_length),
      metrics,
      logger,
      now: context.now,
      newId: context.newId,
      settings: {
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
    const reload = async (): Promise<{ streams: boolean, schemas: boolean }> => {
      const streamsReloaded = await streams.reload()
      return { streams: streamsReloaded, schemas: await schemas.reload() }
    }
    const app = buildGatewayApp({
      logger,
      registry,
      metrics,
      pipeline,
      background,
      streams: () => streams.index(),
      readiness: [
        { name: 'kafka', ready: () => producer.isReady() },
        { name: 'stream_config', ready: () => streams.loaded() }
      ],
      info: readServiceInfo(),
      bodyLimit: parseByteSize(config.max_body_size),
      maxEventDepth: config.max_event_depth,
      requestTimeoutMs: config.request_timeout_ms,
      maxEventsPerRequest: config.max_events_per_request,
      testEvents: config.test_events,
      cors: config.cors,
      cloudEvents: {
        schemaAttribute: config.cloudevents.schema_attribute,
        streamAttribute: config.cloudevents.stream_attribute,
        typeStreams: config.cloudevents.type_streams,
        dataschemaPrefixes: config.cloudevents.dataschema_prefixes,
        schemaUriFields: asList(config.schema_uri_field),
        streamFields: asList(config.stream_field)
      },
      beacon: { schemas: config.beacon.schemas, maxBytes: config.beacon.max_capsule_bytes, maxEventDepth: config.max_event_depth },
      reload,
      schemaRoutes: registryRoutes
    })

    let url: string | undefined
    return {
      app,
      resolver: schemas.resolver,
      get url () { return url },
      async start () {
        url = await app.listen({ port: config.port, host: config.listen_address })
        return `listening on ${url}`
      },
      reload,
      async close (deadline) {
        for (const stop of stops) stop()
        // Order matters: HTTP drains first (in-flight requests may still produce), then work
        // that outlived its response; the shell flushes the producer after this.
        const abandoned = await closeInOrder([
          { name: 'in-flight HTTP requests', close: async () => { await app.close() } },
          { name: 'background tasks', close: async () => { await background.drain() } },
          ...closers.reverse()
        ], deadline, logger)
        return abandoned.length === 0
      }
    }
  } catch (err) {
    // Startup failed: nothing of the gateway's own may outlive it (the git poll, timers); the
    // shell closes the context.
    for (const stop of stops) stop()
    await closeInOrder(closers.reverse(), Date.now() + config.shutdown_grace_ms, logger)
    throw err
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
