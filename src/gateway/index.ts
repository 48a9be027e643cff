import type { FastifyInstance } from 'fastify'
import { createGatewayMetrics } from '../metrics/gateway.js'
import { createSchemaMetrics } from '../metrics/schemas.js'
import type { SchemaResolver } from '../schemas/index.js'
import { buildService, closeFailedStart, kafkaSettings, producerSettings, readServiceInfo, requireProducer, serviceLogger, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, OpenedResources, Service, ServiceContext, ServiceDefinition, ShellService } from '../service/index.js'
import { buildGatewayApp } from './app.js'
import { gatewayAppSettings } from './app-settings.js'
import { createBackgroundTasks } from './background.js'
import type { GatewayConfig } from './config.js'
import { createPipelineDeps } from './pipeline-deps.js'
import { readinessChecks } from './readiness.js'
import { schemaRegistryRoutes } from './schema-registry.js'
import { openSchemaSources } from './schema-sources.js'
import { closeGateway } from './shutdown.js'
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
 * The gateway's composition root: loads the stream config (stream-config.ts), opens the schema
 * sources (schema-sources.ts) and the registry API it serves (schema-registry.ts), puts the
 * pipeline's parts together (pipeline-deps.ts) and builds the HTTP app on the context's logger,
 * registry, HTTP agent and producer, ready per readiness.ts. Nothing listens yet; `close()` is
 * shutdown.ts.
 */
async function buildGateway (config: Readonly<GatewayConfig>, context: ServiceContext): Promise<GatewayService> {
  const { logger, registry } = context
  const producer = requireProducer(context)
  const metrics = createGatewayMetrics(registry)
  const schemaMetrics = createSchemaMetrics(registry)
  const opened: OpenedResources = { stops: [], closers: [] }

  try {
    // Kafka first, so that connecting overlaps loading the stream config and the schemas.
    // monitor() keeps readiness following Kafka from here on.
    producer.monitor()
    const streams = await startStreamConfig(config, context, metrics)
    opened.stops.push(() => { streams.stop() })
    const schemas = await openSchemaSources(config, context, schemaMetrics, opened.closers)
    const registryRoutes = await schemaRegistryRoutes(config, context, schemas.git, { streams, metrics: schemaMetrics })
    const background = createBackgroundTasks(logger, {
      onSizeChange: (size) => metrics.backgroundTasks.set(size),
      onWaitingChange: (waiting) => metrics.hastyWaiting.set(waiting),
      maxWeight: config.hasty_max_pending_events
    })
    const pipeline = await createPipelineDeps(config, context, { resolver: schemas.resolver, streams, producer, metrics }, opened.closers)
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
      async close (deadline) { return closeGateway(opened, app, background, deadline, logger) }
    }
  } catch (err) {
    await closeFailedStart(opened, config.shutdown_grace_ms, logger)
    throw err
  }
}
