import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { generateAsyncApi } from '../asyncapi/index.js'
import type { AsyncApiDocument } from '../asyncapi/index.js'
import { createStreamsMetrics } from '../metrics/streams.js'
import { connectRedis } from '../redis.js'
import { openDirectoryRepository } from '../schemas/index.js'
import { buildService, closeInOrder, createStreamConfigReload, kafkaSettings, readServiceInfo, serviceLogger, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, Service, ServiceContext, ServiceDefinition, ShellService, ShutdownStep } from '../service/index.js'
import type { StreamConfigData } from '../stream-config/index.js'
import { createStreamConfigLoader, declaredByRegex, streamConfigLoaderOptions } from '../stream-config/index.js'
import { buildStreamsApp } from './app.js'
import { buildCatalog, topicsOf } from './catalog.js'
import type { ServedStream } from './catalog.js'
import type { StreamsConfig } from './config.js'
import { createEventCodec } from './event-codec.js'
import { createMemorySlots, createRedisSlots } from './ip-limit.js'
import type { ConnectionSlots } from './ip-limit.js'
import { createRedactor } from './redaction.js'
import type { Session } from './session.js'
import { createStreamReader } from './tails.js'
import type { StreamReader } from './tails.js'

export type { StreamsConfig } from './config.js'
export { loadStreamsConfig, streamsConfigSchema } from './config.js'
export { topicsOf } from './catalog.js'

export interface StreamsService extends Service {
  app: FastifyInstance
  reader: StreamReader
  /** Streams open right now. */
  readonly openStreams: number
  readonly url: string | undefined
  /** Re-reads the stream config (SIGHUP); the last good one stays on failure. */
  reload(): Promise<boolean>
}

export type Streams = ShellService<StreamsService>

/**
 * The stream service as the shell runs it: an HTTP agent for an http(s) stream config, no
 * producer (it only reads), and a group-less Kafka reader of its own.
 */
export const streamsService: ServiceDefinition<StreamsConfig, StreamsService> = {
  name: 'streams',
  context: (config) => ({
    logger: serviceLogger(config),
    dispatcher: { connect: { timeout: config.stream_config_fetch_timeout_ms }, keepAliveTimeout: 10000 },
    kafka: kafkaSettings(config.kafka, config.kafka.client_id)
  }),
  shutdownMs: (config) => config.shutdown_grace_ms,
  unusable: withoutBrokers,
  build: buildStreams
}

export async function createStreams (config: Readonly<StreamsConfig>, options: { cwd: string } & ContextOverrides): Promise<Streams> {
  return buildService(streamsService, config, options)
}

/**
 * The stream service's composition root: the stream config becomes the catalog of served
 * names, one reader shares each partition's tail among all clients, and the HTTP app writes
 * each client's stream. Nothing listens yet.
 */
async function buildStreams (config: Readonly<StreamsConfig>, context: ServiceContext): Promise<StreamsService> {
  const { logger, registry } = context
  const metrics = createStreamsMetrics(registry)
  const closers: ShutdownStep[] = []
  /** What stops the service's own timers (the stream config's re-reads, the reader's gauges). */
  const stops: Array<() => void> = []
  const sessions = new Set<Session>()
  try {
    const loader = createStreamConfigLoader(streamConfigLoaderOptions(config.stream_config_uri, config, { cwd: context.cwd, dispatcher: context.dispatcher, timeoutMs: config.stream_config_fetch_timeout_ms, logger }))
    const toCatalog = (data: StreamConfigData): Map<string, ServedStream> => buildCatalog(data, {
      defaults: config.stream_config_defaults,
      allowed: config.allowed_streams,
      aliases: config.stream_aliases,
      legacyTopicsHome: config.legacy_topics_home
    })
    const describe = await asyncApiDescriber(config, context, (name, settings) => topicsOf(name, settings, { defaults: config.stream_config_defaults, aliases: {}, legacyTopicsHome: config.legacy_topics_home }))
    // The catalog of served names and the AsyncAPI document, made together from one read; the
    // schema repository is read again too, so versions published since are in the document.
    let catalog = new Map<string, ServedStream>()
    let asyncapi: AsyncApiDocument | undefined
    const streams = createStreamConfigReload({
      load: async () => {
        const data = (await loader.load()).all()
        const next = toCatalog(data)
        if (next.size === 0) throw new Error(`the stream config ${config.stream_config_uri} has no stream to serve (regex entries are not served; check allowed_streams)`)
        return { catalog: next, asyncapi: await describe(data) }
      },
      apply: (view) => {
        catalog = view.catalog
        asyncapi = view.asyncapi
      },
      ttlSeconds: config.stream_config_ttl,
      logger
    })
    await streams.start()
    stops.push(() => { streams.stop() })

    const reader = createStreamReader({
      brokers: config.kafka.brokers,
      clientId: config.kafka.client_id,
      security: context.kafka?.security,
      logger,
      fetchMaxBytes: config.kafka.fetch_max_bytes,
      fetchMaxWaitMs: config.kafka.fetch_max_wait_ms,
      healthCheckIntervalMs: config.kafka.health_check_interval_ms,
      healthCheckTimeoutMs: config.kafka.health_check_timeout_ms
    })
    closers.push({ name: 'Kafka stream reader', close: async () => { await reader.close() } })
    const gauges = setInterval(() => {
      const stats = reader.stats()
      metrics.tailLoops.set(Object.keys(stats.tailLoops).length)
      metrics.catchUpReaders.set(stats.catchUpReaders)
    }, 1000)
    gauges.unref()
    stops.push(() => { clearInterval(gauges) })

    const slots = await createSlots(config, context, metrics.ipLimitStoreErrors, closers)
    const app = buildStreamsApp({
      logger,
      registry,
      readiness: [{ name: 'kafka', ready: () => reader.isReady() }],
      info: readServiceInfo(),
      cors: config.cors,
      stream: {
        plan: {
          catalog: () => catalog,
          // A stream declared after the last load is served once the source knows it.
          fetchUnknown: loader.fetchUnknown === undefined
            ? undefined
            : async (names) => {
              // Like regex entries at load, a name only a regex declares is not served.
              const found = Object.entries(await loader.fetchUnknown!(names)).filter(([, settings]) => !declaredByRegex(settings))
              const learnt = toCatalog(Object.fromEntries(found))
              if (learnt.size > 0) catalog = new Map([...catalog, ...learnt].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            },
          reader,
          logger,
          now: () => context.now().getTime(),
          compatible: config.eventstreams_compatible,
          maxStreams: config.max_streams_per_request,
          filterLimits: { maxFilters: config.max_filters, maxValues: config.max_filter_values }
        },
        session: {
          reader,
          decode: createEventCodec(createRedactor(config.mediawiki_redacted_pages)),
          metrics,
          logger,
          settings: {
            heartbeatMs: config.heartbeat_interval_ms,
            maxLifetimeMs: config.max_connection_lifetime_ms,
            maxBufferBytes: config.max_client_buffer_bytes,
            compatible: config.eventstreams_compatible,
            orderWindowMs: config.order_window_ms
          }
        },
        slots,
        metrics,
        logger,
        sessions,
        ipLimit: { limit: config.client_ip_connection_limit, overrides: config.client_ip_connection_limit_overrides, retryAfterSeconds: config.client_ip_retry_after_seconds },
        maxConnections: config.max_connections,
        kafkaWaitMs: config.kafka_unavailable_wait_ms
      },
      pages: { catalog: () => catalog, asyncapi: () => asyncapi, version: readServiceInfo().version, uiEnabled: config.stream_ui_enabled }
    })

    let url: string | undefined
    return {
      app,
      reader,
      get openStreams () { return sessions.size },
      get url () { return url },
      reload: async () => streams.reload(),
      async start () {
        url = await app.listen({ port: config.port, host: config.listen_address })
        return `listening on ${url} (GET /v2/stream/{streams}, /v2/ui)`
      },
      async close (deadline) {
        for (const stop of stops) stop()
        const abandoned = await closeInOrder([
          { name: 'open streams', close: async () => { await endAll(sessions) } },
          { name: 'HTTP server', close: async () => { await app.close() } },
          ...closers.reverse()
        ], deadline, logger)
        return abandoned.length === 0
      }
    }
  } catch (err) {
    for (const stop of stops) stop()
    await closeInOrder(closers.reverse(), Date.now() + config.shutdown_grace_ms, logger)
    throw err
  }
}

/**
 * What makes the platform's AsyncAPI document from a stream config: the config's defaults and
 * aliases, the configured servers, and the schema repository (without one, the channels have no
 * messages; that is said once, at start).
 */
async function asyncApiDescriber (config: Readonly<StreamsConfig>, context: ServiceContext, topics: (name: string, settings: Record<string, unknown>) => string[]): Promise<(data: StreamConfigData) => Promise<AsyncApiDocument>> {
  const dir = resolve(context.cwd, config.asyncapi_schema_repository)
  const exists = (await stat(dir).catch(() => undefined))?.isDirectory() === true
  if (!exists) context.logger.warn({ dir }, 'no schema repository at asyncapi_schema_repository: the channels of GET /?asyncapi have no messages')
  const repository = exists ? openDirectoryRepository(dir) : undefined
  const info = readServiceInfo()
  return async (data) => generateAsyncApi({
    streams: data,
    defaults: config.stream_config_defaults,
    topicsOf: topics,
    aliases: config.stream_aliases,
    servers: config.asyncapi_servers,
    repository,
    logger: context.logger,
    info: { title: 'Sluice event platform', version: info.version, description: 'Every stream of the platform: its Kafka topics in each datacenter, the versions of its schema as messages, and their examples. Produce with POST /v1/events on the gateway; consume from Kafka, or as Server-Sent Events with GET /v2/stream/{streams} on the stream service.' }
  })
}

/** Ends every open stream between two events; clients reconnect elsewhere with their last id. */
async function endAll (sessions: ReadonlySet<Session>): Promise<void> {
  const open = [...sessions]
  for (const session of open) session.end('shutdown')
  await Promise.all(open.map(async (s) => s.ended))
}

async function createSlots (config: Readonly<StreamsConfig>, context: ServiceContext, storeErrors: { inc: () => void }, closers: ShutdownStep[]): Promise<ConnectionSlots> {
  if (config.redis === undefined) return createMemorySlots()
  // Until Redis answers, the limit counts this process only.
  const redis = await connectRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, logger: context.logger })
  const slots = createRedisSlots({
    redis,
    keyPrefix: config.redis.key_prefix,
    ttlMs: config.redis.connection_ttl_ms,
    onStoreError: () => { storeErrors.inc() }
  })
  closers.push({ name: 'redis', close: async () => { await slots.close(); redis.disconnect() } })
  return slots
}
