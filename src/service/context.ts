import { randomUUID } from 'node:crypto'
import { Agent } from 'undici'
import type { Dispatcher } from 'undici'
import type { Registry } from 'prom-client'
import type { KafkaProducerConfig } from '../config/load.js'
import { createEventProducer } from '../kafka/index.js'
import type { EventProducer, EventProducerOptions } from '../kafka/index.js'
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
  /** The service's one Kafka producer; created here, connected (or monitored) by the service. None for a service that only reads. */
  producer?: Omit<EventProducerOptions, 'logger' | 'metrics'>
}

/** Ready-made parts a caller (a test, `sluice up`) hands in instead of the ones the context creates. */
export interface ContextOverrides {
  logger?: Logger
  registry?: Registry
  dispatcher?: Dispatcher
  producer?: EventProducer
  now?: () => Date
  newId?: () => string
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
  now: () => Date
  newId: () => string
  /** Closes what the context created (not what was handed in), producer before the HTTP agent. */
  closers: readonly ShutdownStep[]
}

/** The producer settings from a service's shared `kafka` keys (`kafkaProducerSchema`). */
export function producerSettings (kafka: KafkaProducerConfig, clientId: string): NonNullable<ContextSettings['producer']> {
  return {
    brokers: kafka.brokers,
    clientId,
    lingerMs: kafka.linger_ms,
    maxBatchRecords: kafka.max_batch_records,
    produceTimeoutMs: kafka.produce_timeout_ms,
    partitioner: kafka.partitioner,
    healthCheckIntervalMs: kafka.health_check_interval_ms,
    healthCheckTimeoutMs: kafka.health_check_timeout_ms,
    unavailableWaitMs: kafka.unavailable_wait_ms
  }
}

export function createServiceContext (settings: ContextSettings, cwd: string, overrides: ContextOverrides = {}): ServiceContext {
  const logger = overrides.logger ?? createLogger(settings.logger)
  const registry = overrides.registry ?? createMetricsRegistry(settings.metricLabels)
  const closers: ShutdownStep[] = []
  const producer = overrides.producer ?? (settings.producer === undefined ? undefined : createEventProducer({ ...settings.producer, logger, metrics: createKafkaMetrics(registry) }))
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
    now: overrides.now ?? (() => new Date()),
    newId: overrides.newId ?? randomUUID,
    closers
  }
}

/** The context's producer, for a service whose definition asked for one. */
export function requireProducer (context: ServiceContext): EventProducer {
  if (context.producer === undefined) throw new Error('this service was built without a Kafka producer: its definition sets no producer settings')
  return context.producer
}
