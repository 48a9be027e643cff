import { Producer } from '@platformatic/kafka'
import { kafkaClientOptions } from '../client.js'
import type { KafkaSecurity } from '../client.js'
import { producerDefaults } from '../options.js'
import type { PartitionerName } from '../options.js'
import { createPartitioner } from './partitioner.js'
import { producerRetryPolicy, retryDelayOf } from './retry.js'

export interface ProducerClientOptions {
  brokers: readonly string[]
  clientId: string
  produceTimeoutMs: number
  unavailableWaitMs: number
  idempotent: boolean
  partitioner: PartitionerName
  security: KafkaSecurity | undefined
  /** Whether Kafka is known to be unavailable now: the client's retries are then spread over unavailableWaitMs. */
  knownUnavailable: () => boolean
}

export type ProducerClient = Producer<string, string | Buffer, string, string>

/**
 * The @platformatic/kafka producer as Sluice sets it up: retries that fit in half the produce
 * timeout, the partitioner asked for, topics created on first use, strings as UTF-8.
 */
export function createProducerClient (options: ProducerClientOptions): ProducerClient {
  const { produceTimeoutMs, unavailableWaitMs, idempotent, knownUnavailable } = options
  const retry = producerRetryPolicy(produceTimeoutMs)
  // The idempotent client retries forever when given one retry or none: a send is answered
  // at produceTimeoutMs anyway, and its batch must not hold the only slot for ever.
  const retries = idempotent ? Math.max(2, retry.retries) : retry.retries
  return new Producer<string, string | Buffer, string, string>({
    ...kafkaClientOptions({
      brokers: options.brokers,
      clientId: options.clientId,
      connectionTimeoutMs: Math.min(producerDefaults.connectTimeoutMaxMs, Math.max(producerDefaults.connectTimeoutMinMs, Math.floor(produceTimeoutMs / 4))),
      requestTimeoutMs: produceTimeoutMs,
      retries,
      // A broker that is gone makes every attempt fail at once, so a send waits for the backoff
      // between them (2.4 s with the defaults) before its 503. Once Kafka is known to be down,
      // the attempts left are spread over unavailableWaitMs instead: the send is answered that
      // soon, and only after the client gave up, so its records are not written after the 503.
      retryDelayMs: (attempt) => knownUnavailable() ? Math.floor(unavailableWaitMs / Math.max(1, retries)) : retryDelayOf(retry, attempt),
      security: options.security
    }),
    partitioner: createPartitioner(options.partitioner),
    // As EventGate: a topic is created on first use where the broker allows it.
    autocreateTopics: true,
    idempotent,
    serializers: {
      key: serializeString,
      value: (value?: string | Buffer) => typeof value === 'string' ? Buffer.from(value) : value,
      headerKey: serializeString,
      headerValue: serializeString
    }
  })
}

function serializeString (value?: string): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value)
}
