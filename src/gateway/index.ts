import type { FastifyInstance } from 'fastify'
import { createGatewayMetrics } from '../metrics/gateway.js'
import { createSchemaMetrics } from '../metrics/schemas.js'
import type { SchemaResolver } from '../schemas/index.js'
import { buildService, closeInOrder, kafkaSettings, producerSettings, readServiceInfo, requireProducer, serviceLogger, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, Service, ServiceContext, ServiceDefinition, ShellService, ShutdownStep } from '../service/index.js'
import { buildGatewayApp } from './app.js'
import { gatewayAppSettings } from './app-settings.js'
import { createBackgroundTasks } from './background.js'
import type { GatewayConfig } from './config.js'
import { createPipelineDeps } from './pipeline-deps.js'
import { readinessChecks } from './readiness.js'
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
    const pipeline = await createPipelineDeps(config, context, { resolver: schemas.resolver, streams, producer, metrics }, closers)
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
      readiness: readinessChecks(producer, streams),
      info: readServiceInfo(),
      ...gatewayAppSettings(config),
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
