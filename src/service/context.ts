import { randomUUID } from 'node:crypto'
import { Agent } from 'undici'
import type { Dispatcher } from 'undici'
import type { Registry } from 'prom-client'
import { createEventProducer, resolveKafkaSecurity } from '../kafka/index.js'
import type { CompressionCodec, EventProducer, EventProducerOptions, KafkaProducerConfig, KafkaSecurity, KafkaSecurityConfig } from '../kafka/index.js'
import { createLogger } from '../logger.js'
import type { Logger, LoggerConfig } from '../logger.js'
import { createKafkaMetrics } from '../metrics/kafka.js'
import { createMetricsRegistry } from '../metrics/registry.js'
import type { ShutdownStep } from './shutdown.js'

/**
 * What a service's context is made of, read from its configuration by its definition
 * (`ServiceDefinition.context`). Every value comes from the config schema's defaults.
 */
export interface ContextSettings {
  logger: LoggerConfig
  /** Labels every metric of the registry carries. */
  metricLabels?: Record<string, string>
  /** The undici Agent every outgoing HTTP request of the service goes through. */
  dispatcher: Agent.Options
  /** The service's Kafka cluster, from its `kafka` section: where, and how to get in (TLS, SASL). */
  kafka?: KafkaSettings
  /** The service's one Kafka producer; created here, connected (or monitored) by the service. None for a service that only reads. */
  producer?: Omit<EventProducerOptions, 'logger' | 'metrics' | 'security'>
}

/** A service's `kafka` keys that every one of its Kafka clients shares. */
export interface KafkaSettings extends KafkaSecurityConfig {
  brokers: readonly string[]
  clientId: string
  /** Bounds the startup check of the cluster (see the shell). */
  healthCheckTimeoutMs: number
}

/** The cluster every Kafka client of a service talks to, with the security settings resolved once. */
export interface KafkaAccess {
  brokers: readonly string[]
  clientId: string
  /** Undefined: plaintext. */
  security: KafkaSecurity | undefined
  healthCheckTimeoutMs: number
}

/** Ready-made parts a caller (a test, `sluice up`) hands in instead of the ones the context creates. */
export interface ContextOverrides {
  logger?: Logger
  registry?: Registry
  dispatcher?: Dispatcher
  producer?: EventProducer
  now?: () => Date
  newId?: () => string
  /** Where `kafka.sasl.password_env` and the like are read. Default: the process's environment. */
  env?: NodeJS.ProcessEnv
}

/** The long-lived resources of one service, created before it is built and closed after it. */
export interface ServiceContext {
  /** Directory that relative paths in the config are resolved against. */
  cwd: string
  logger: Logger
  registry: Registry
  dispatcher: Dispatcher
  /** Undefined for a service whose definition asks for no producer (see requireProducer). */
  producer: EventProducer | undefined
  /** The service's cluster and its resolved TLS/SASL settings, for its consumers, readers and admin calls. */
  kafka: KafkaAccess | undefined
  now: () => Date
  newId: () => string
  /** Closes what the context created (not what was handed in), producer before the HTTP agent. */
  closers: readonly ShutdownStep[]
}

/** The producer settings from a service's shared `kafka` keys (`producerConfigSchema`). */
export function producerSettings (kafka: KafkaProducerConfig & { compression?: CompressionCodec }, clientId: string): NonNullable<ContextSettings['producer']> {
  return {
    brokers: kafka.brokers,
    clientId,
    lingerMs: kafka.linger_ms,
    maxBatchRecords: kafka.max_batch_records,
    produceTimeoutMs: kafka.produce_timeout_ms,
    partitioner: kafka.partitioner,
    healthCheckIntervalMs: kafka.health_check_interval_ms,
    healthCheckTimeoutMs: kafka.health_check_timeout_ms,
    unavailableWaitMs: kafka.unavailable_wait_ms,
    ...(kafka.compression === undefined ? {} : { compression: kafka.compression })
  }
}

/** The cluster settings from a service's `kafka` section (`kafkaSecuritySchema` and the health check keys). */
export function kafkaSettings (kafka: KafkaSecurityConfig & { brokers: readonly string[], health_check_timeout_ms: number }, clientId: string): KafkaSettings {
  return { brokers: kafka.brokers, clientId, ssl: kafka.ssl, sasl: kafka.sasl, healthCheckTimeoutMs: kafka.health_check_timeout_ms }
}

export function createServiceContext (settings: ContextSettings, cwd: string, overrides: ContextOverrides = {}): ServiceContext {
  const logger = overrides.logger ?? createLogger(settings.logger)
  const registry = overrides.registry ?? createMetricsRegistry(settings.metricLabels)
  const closers: ShutdownStep[] = []
  // First: a missing certificate or an unset password variable stops startup before anything opens.
  const kafka = settings.kafka === undefined ? undefined : kafkaAccess(settings.kafka, cwd, overrides.env ?? process.env, logger)
  const producer = overrides.producer ?? (settings.producer === undefined ? undefined : createEventProducer({ ...settings.producer, security: kafka?.security, logger, metrics: createKafkaMetrics(registry) }))
  if (overrides.producer === undefined && producer !== undefined) {
    // It keeps the deadline by abandoning what Kafka does not finish, and says so (false).
    closers.push({ name: 'Kafka producer', close: async (deadline) => producer.close({ timeoutMs: Math.max(0, deadline - Date.now()) }) })
  }
  const dispatcher = overrides.dispatcher ?? new Agent(settings.dispatcher)
  if (overrides.dispatcher === undefined) closers.push({ name: 'HTTP agent', close: async () => { await dispatcher.close() } })
  return {
    cwd,
    logger,
    registry,
    dispatcher,
    producer,
    kafka,
    now: overrides.now ?? (() => new Date()),
    newId: overrides.newId ?? randomUUID,
    closers
  }
}

function kafkaAccess (settings: KafkaSettings, cwd: string, env: NodeJS.ProcessEnv, logger: Logger): KafkaAccess {
  return {
    brokers: settings.brokers,
    clientId: settings.clientId,
    security: resolveKafkaSecurity(settings, { cwd, env, logger: logger.child({ module: 'kafka-security' }) }),
    healthCheckTimeoutMs: settings.healthCheckTimeoutMs
  }
}

/** The context's producer, for a service whose definition asked for one. */
export function requireProducer (context: ServiceContext): EventProducer {
  if (context.producer === undefined) throw new Error('this service was built without a Kafka producer: its definition sets no producer settings')
  return context.producer
}
