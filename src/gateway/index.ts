import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent } from 'undici'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { createEventProducer } from '../kafka/index.js'
import type { EventProducer } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import { settlesBefore } from '../settles-before.js'
import { createLogger } from '../logger.js'
import { createGatewayMetrics } from '../metrics/gateway.js'
import { createKafkaMetrics } from '../metrics/kafka.js'
import { createMetricsRegistry } from '../metrics/registry.js'
import { createSchemaMetrics } from '../metrics/schemas.js'
import {
  createSchemaResolver, createSourcesFromBaseUris, loadRepositoryConfig, openDirectoryRepository, openGitRepository, schemaRoutes
} from '../schemas/index.js'
import type { GitSchemaRepository, SchemaRepository, SchemaResolver, SchemaSource } from '../schemas/index.js'
import type { StreamIndex } from '../stream-config/index.js'
import { createStreamConfigLoader } from '../stream-config/loader.js'
import { buildGatewayApp } from './app.js'
import { createBackgroundTasks } from './background.js'
import type { GatewayConfig } from './config.js'
import { parseByteSize } from './config.js'
import { asList } from './pipeline/event-fields.js'
import type { PipelineDeps } from './pipeline/index.js'
import type { ServiceInfo } from './routes/info.js'

export type { GatewayConfig } from './config.js'
export { loadGatewayConfig, gatewayConfigSchema } from './config.js'

export interface GatewayOptions {
  /** Directory that relative paths in the config are resolved against. */
  cwd: string
  logger?: Logger
  registry?: Registry
  /** Replaces the Kafka producer (tests of pure HTTP behaviour). */
  producer?: EventProducer
  now?: () => Date
  newId?: () => string
}

export interface Gateway {
  app: FastifyInstance
  resolver: SchemaResolver
  /** Listens on the configured address and port; resolves to the bound URL. */
  listen(): Promise<string>
  /** Re-reads the stream config and the git schema repository (SIGHUP, POST /admin/reload). */
  reload(): Promise<{ streams: boolean, schemas: boolean }>
  /** Stops accepting, finishes in-flight and background work, flushes the producer. */
  close(): Promise<void>
}

/**
 * The gateway's composition root: the one place that creates long-lived resources
 * (logger, metrics, HTTP agent, schema sources, stream config, producer) and closes them.
 */
export async function createGateway (config: Readonly<GatewayConfig>, options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger({ level: config.log_level, name: config.service_name, maxStringLength: config.log_max_string_length })
  const registry = options.registry ?? createMetricsRegistry()
  const metrics = createGatewayMetrics(registry)
  const kafkaMetrics = createKafkaMetrics(registry)
  const schemaMetrics = createSchemaMetrics(registry)
  const dispatcher = new Agent({ connect: { timeout: config.schema_fetch_timeout_ms }, keepAliveTimeout: 10000 })
  const timers: NodeJS.Timeout[] = []
  // Closed in reverse order; each gets the shutdown deadline (epoch ms) it must finish by.
  const closers: Array<{ name: string, close: (deadline: number) => Promise<void> }> = [{ name: 'HTTP agent', close: async () => { await dispatcher.close() } }]

  try {
    // Kafka first, so that connecting overlaps loading the stream config and the schemas. The
    // gateway starts (not ready) while Kafka is down; monitor() keeps readiness following it.
    const producer = options.producer ?? createEventProducer({
      brokers: config.kafka.brokers,
      clientId: config.kafka.client_id,
      lingerMs: config.kafka.linger_ms,
      maxBatchRecords: config.kafka.max_batch_records,
      maxBatchBytes: config.kafka.max_batch_bytes,
      produceTimeoutMs: config.kafka.produce_timeout_ms,
      compression: config.kafka.compression,
      partitioner: config.kafka.partitioner,
      healthCheckIntervalMs: config.kafka.health_check_interval_ms,
      healthCheckTimeoutMs: config.kafka.health_check_timeout_ms,
      logger,
      metrics: kafkaMetrics
    })
    closers.push({ name: 'Kafka producer', close: async (deadline) => { await producer.close({ timeoutMs: Math.max(0, deadline - Date.now()) }) } })
    producer.monitor()

    // Stream config: fail fast at startup; later reloads keep the last good config.
    let streamIndex: StreamIndex | undefined
    let streamsLoaded = config.stream_config_uri === undefined
    const streamConfig = config.stream_config_uri === undefined
      ? undefined
      : createStreamConfigLoader({ uri: config.stream_config_uri, cwd: options.cwd, dispatcher, timeoutMs: config.schema_fetch_timeout_ms, logger })
    const loadStreams = async (): Promise<boolean> => {
      if (streamConfig === undefined) return true
      streamIndex = await streamConfig.load()
      streamsLoaded = true
      return true
    }
    await loadStreams()
    const reloadStreams = async (): Promise<boolean> => {
      try {
        await loadStreams()
        metrics.streamConfigReloads.inc({ result: 'ok' })
        return true
      } catch (err) {
        metrics.streamConfigReloads.inc({ result: 'failed' })
        logger.error({ err }, 'stream config reload failed; keeping the last good config')
        return false
      }
    }
    if (config.stream_config_ttl > 0) {
      const timer = setInterval(() => { void reloadStreams() }, config.stream_config_ttl * 1000)
      timer.unref()
      timers.push(timer)
    }

    // Schema sources: the git ref first (what was merged), then the configured bases in order.
    const sources: SchemaSource[] = []
    let gitRepository: GitSchemaRepository | undefined
    // A polled commit changes what `…/latest` means: the resolver's cache follows (set below).
    let onSchemaCommit = (): void => {}
    if (config.schema_git !== undefined) {
      gitRepository = openGitRepository({
        repository: config.schema_git.repository,
        ref: config.schema_git.ref,
        path: config.schema_git.path,
        pollIntervalMs: config.schema_git.poll_interval_ms,
        cacheDir: resolve(options.cwd, config.schema_git.cache_dir),
        logger,
        metrics: schemaMetrics,
        onCommitChange: () => { onSchemaCommit() }
      })
      await gitRepository.start()
      const repo = gitRepository
      closers.push({ name: 'git schema repository', close: async () => { await repo.close() } })
      sources.push(repo)
    }
    sources.push(...createSourcesFromBaseUris(config.schema_base_uris, {
      dispatcher,
      timeoutMs: config.schema_fetch_timeout_ms,
      maxBytes: config.schema_max_bytes,
      userAgent: config.user_agent,
      cwd: options.cwd
    }))
    const resolver = createSchemaResolver({
      sources,
      fileExtension: config.schema_file_extension,
      allowAbsoluteUris: config.allow_absolute_schema_uris,
      failureRetryMs: config.schema_failure_retry_ms,
      maxSchemaBytes: config.schema_max_bytes,
      logger
    })
    onSchemaCommit = () => { resolver.clear() }
    await resolver.precache(config.schema_precache_uris)

    // The registry API serves the repository this gateway validates against, when it is local.
    const servedDirectory = gitRepository === undefined ? firstLocalDirectory(config.schema_base_uris, options.cwd) : undefined
    const servedRepository: SchemaRepository | undefined = gitRepository ?? (servedDirectory === undefined ? undefined : openDirectoryRepository(servedDirectory))
    const repositoryConfig = servedDirectory === undefined ? undefined : await loadRepositoryConfig(servedDirectory)

    const background = createBackgroundTasks(logger, (size) => metrics.backgroundTasks.set(size))
    const pipeline: PipelineDeps = {
      resolver,
      streams: () => streamIndex,
      producer,
      metrics,
      logger,
      now: options.now ?? (() => new Date()),
      newId: options.newId ?? randomUUID,
      settings: {
        schemaUriFields: asList(config.schema_uri_field),
        streamFields: asList(config.stream_field),
        dtField: config.dt_field,
        topicPrefix: config.topic_prefix,
        headersToFields: config.http_request_headers_to_fields,
        maxMessageBytes: config.kafka.max_message_bytes,
        errorStream: config.error_stream,
        errorSchemaUri: config.error_schema_uri,
        emitterId: config.user_agent
      }
    }
    const reload = async (): Promise<{ streams: boolean, schemas: boolean }> => {
      const streams = await reloadStreams()
      const schemas = gitRepository === undefined ? true : await gitRepository.reload()
      resolver.clear()
      return { streams, schemas }
    }
    const app = buildGatewayApp({
      logger,
      registry,
      metrics,
      pipeline,
      background,
      streams: () => streamIndex,
      readiness: [
        { name: 'kafka', ready: () => producer.isReady() },
        { name: 'stream_config', ready: () => streamsLoaded }
      ],
      info: readServiceInfo(),
      bodyLimit: parseByteSize(config.max_body_size),
      maxEventDepth: config.max_event_depth,
      requestTimeoutMs: config.request_timeout_ms,
      maxEventsPerRequest: config.max_events_per_request,
      testEvents: config.test_events,
      cors: config.cors,
      reload,
      schemaRoutes: servedRepository === undefined ? undefined : schemaRoutes(servedRepository, { logger, streams: () => streamIndex?.all(), metrics: schemaMetrics, config: repositoryConfig })
    })

    let closed = false
    return {
      app,
      resolver,
      async listen () {
        return app.listen({ port: config.port, host: config.listen_address })
      },
      reload,
      async close () {
        if (closed) return
        closed = true
        for (const timer of timers) clearInterval(timer)
        // Order matters: HTTP drains first (in-flight requests may still produce), then work
        // that outlived its response, then the producer flushes what is batched. Each step gets
        // what is left of shutdown_grace_ms, so a hanging Kafka cannot stretch the whole.
        const deadline = Date.now() + config.shutdown_grace_ms
        if (!await settlesBefore(app.close(), deadline)) logger.warn('shutdown: in-flight HTTP requests abandoned')
        const tasks = background.size
        if (!await settlesBefore(background.drain(), deadline)) logger.warn({ tasks: background.size, of: tasks }, 'shutdown: background tasks abandoned')
        for (const { name, close } of closers.reverse()) {
          if (!await settlesBefore(close(deadline), deadline)) logger.warn({ resource: name }, 'shutdown: closing abandoned')
        }
      }
    }
  } catch (err) {
    // Startup failed: nothing may outlive it (the producer's connect loop, the git poll, sockets).
    for (const timer of timers) clearInterval(timer)
    const deadline = Date.now() + config.shutdown_grace_ms
    for (const { close } of closers.reverse()) await settlesBefore(close(deadline), deadline)
    throw err
  }
}

function firstLocalDirectory (baseUris: readonly string[], cwd: string): string | undefined {
  for (const base of baseUris) {
    if (/^https?:\/\//i.test(base)) continue
    return base.startsWith('file://') ? fileURLToPath(base) : resolve(cwd, base)
  }
  return undefined
}

/** package.json sits two levels up from src/ and three from dist/src/: walk up to find it. */
function readServiceInfo (): ServiceInfo {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as Record<string, unknown>
      return {
        name: String(pkg.name),
        version: String(pkg.version),
        description: String(pkg.description ?? ''),
        home: typeof pkg.homepage === 'string' ? pkg.homepage : undefined
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return { name: 'sluice', version: '0.0.0', description: '', home: undefined }
    dir = parent
  }
}
