import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs'
import type { KafkaConfig, LogEntry } from 'kafkajs'
import type { Logger } from '../logger.js'

export interface KafkaClientOptions {
  brokers: readonly string[]
  clientId: string
  /** How long one TCP connect may take. */
  connectionTimeoutMs?: number
  /** How long one broker request may take before kafkajs gives up on it. */
  requestTimeoutMs?: number
  /** kafkajs-level retries of a failed request (each with backoff). */
  retries?: number
  logger: Logger
}

/**
 * Creates the kafkajs client with its logs bridged into pino.
 * Kept here so kafkajs is only ever imported under src/kafka/.
 */
export function createKafkaClient (options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ module: 'kafka' })
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 10000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log
      log[pinoLevelOf(entry)]({ kafka: { namespace: entry.namespace, ...rest } }, message)
    }
  }
  return new Kafka(config)
}

/**
 * The pino level of a kafkajs log entry. kafkajs logs every error response of a broker at
 * ERROR, though most are retried (a coordinator or partition leader not there yet, right
 * after a topic is created); whatever is left when retries end reaches the caller, which
 * logs it with its own context. So those are warnings here, and kafkajs's chatter about
 * joining groups is debug: Sluice logs the joins itself.
 */
export function pinoLevelOf (entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>): 'error' | 'warn' | 'debug' {
  switch (entry.level) {
    case KafkaLogLevel.ERROR:
      return entry.namespace === 'Connection' && entry.log.message.startsWith('Response ') ? 'warn' : 'error'
    case KafkaLogLevel.WARN: return 'warn'
    default: return 'debug'
  }
}
