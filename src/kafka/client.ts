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
      const fields = { kafka: { namespace: entry.namespace, ...rest } }
      switch (entry.level) {
        case KafkaLogLevel.ERROR: log.error(fields, message); break
        case KafkaLogLevel.WARN: log.warn(fields, message); break
        case KafkaLogLevel.INFO: log.info(fields, message); break
        default: log.debug(fields, message)
      }
    }
  }
  return new Kafka(config)
}
