import type { FastifyInstance } from 'fastify'
import { createStreamsMetrics } from '../metrics/streams.js'
import { buildService, closeFailedStart, kafkaSettings, readServiceInfo, serviceLogger, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, OpenedResources, Service, ServiceContext, ServiceDefinition, ShellService } from '../service/index.js'
import { buildStreamsApp } from './app.js'
import type { StreamsConfig } from './config.js'
import { createSlots } from './connection-slots.js'
import { startReaderGauges } from './reader-gauges.js'
import { startServedCatalog } from './served-catalog.js'
import type { Session } from './session.js'
import { closeStreams } from './shutdown.js'
import { streamRouteDeps } from './stream-route-deps.js'
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
 * names (served-catalog.ts), one reader shares each partition's tail among all clients, and the
 * HTTP app writes each client's stream (stream-route-deps.ts). Nothing listens yet; `close()` is
 * shutdown.ts.
 */
async function buildStreams (config: Readonly<StreamsConfig>, context: ServiceContext): Promise<StreamsService> {
  const { logger, registry } = context
  const metrics = createStreamsMetrics(registry)
  const opened: OpenedResources = { stops: [], closers: [] }
  const sessions = new Set<Session>()
  try {
    const served = await startServedCatalog(config, context)
    opened.stops.push(() => { served.stop() })

    const reader = createStreamReader({
      brokers: config.kafka.brokers,
      clientId: config.kafka.client_id,
      security: context.kafka?.security,
      logger,
      fetchMaxBytes: config.kafka.fetch_max_bytes,
      fetchMaxWaitMs: config.kafka.fetch_max_wait_ms,
      liveWriteIntervalMs: config.live_write_interval_ms,
      healthCheckIntervalMs: config.kafka.health_check_interval_ms,
      healthCheckTimeoutMs: config.kafka.health_check_timeout_ms
    })
    opened.closers.push({ name: 'Kafka stream reader', close: async () => { await reader.close() } })
    opened.stops.push(startReaderGauges(reader, metrics))

    const slots = await createSlots(config, context, metrics.ipLimitStoreErrors, opened.closers)
    const app = buildStreamsApp({
      logger,
      registry,
      readiness: [{ name: 'kafka', ready: () => reader.isReady() }],
      info: readServiceInfo(),
      cors: config.cors,
      stream: streamRouteDeps(config, context, { served, reader, slots, metrics, sessions }),
      pages: { catalog: () => served.catalog(), asyncapi: () => served.asyncapi(), version: readServiceInfo().version, uiEnabled: config.stream_ui_enabled }
    })

    let url: string | undefined
    return {
      app,
      reader,
      get openStreams () { return sessions.size },
      get url () { return url },
      reload: async () => served.reload(),
      async start () {
        url = await app.listen({ port: config.port, host: config.listen_address })
        return `listening on ${url} (GET /v2/stream/{streams}, /v2/ui)`
      },
      async close (deadline) { return closeStreams(opened, sessions, app, deadline, logger) }
    }
  } catch (err) {
    await closeFailedStart(opened, config.shutdown_grace_ms, logger)
    throw err
  }
}
