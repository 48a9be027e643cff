import type { Logger } from '../../logger.js'
import type { KafkaMetrics, ProduceErrorReason } from '../../metrics/kafka.js'
import type { KafkaSecurity } from '../client.js'
import { KafkaProduceError, KafkaProducerClosedError, KafkaUnavailableError } from '../errors.js'
import { createClusterProbe } from '../health.js'
import { producerDefaults } from '../options.js'
import type { CompressionCodec, PartitionerName } from '../options.js'
import { Batcher } from './batcher.js'
import { createProducerClient } from './client.js'
import { ProducerConnection } from './connection.js'
import { SendDeadlines } from './deadlines.js'
import type { PendingSend } from './deadlines.js'
import { recordBytes } from './records.js'
import type { ProduceRecord } from './records.js'
import { createBatchSender } from './sender.js'
import { ProducerShutdown } from './shutdown.js'

export type { ProduceRecord } from './records.js'
export { producerRetryPolicy } from './retry.js'
export { consistentPartition } from './partitioner.js'
export type { ProducerRetryPolicy } from './retry.js'

export interface EventProducer {
  /**
   * Connects and waits for a broker's metadata response; rejects with KafkaUnavailableError
   * if none answers (the caller may keep retrying, or call monitor()).
   */
  connect(): Promise<void>
  /**
   * Keeps the producer's readiness current without traffic: connects (retrying) while not
   * connected, then asks the cluster for metadata every healthCheckIntervalMs. Stopped by close().
   */
  monitor(): void
  /**
   * Resolves when the broker acknowledged every record (acks = -1); rejects with a
   * KafkaUnavailableError (retriable, statusCode 503) when not acknowledged within
   * produceTimeoutMs, at once while Kafka is known to be unavailable, or a KafkaProduceError
   * otherwise.
   */
  send(records: readonly ProduceRecord[]): Promise<void>
  /** true while connected and the last connect/produce/metadata probe succeeded. */
  isReady(): boolean
  /**
   * Flushes pending batches (bounded by produceTimeoutMs), then disconnects. With `timeoutMs`
   * it resolves within that time whatever Kafka does, logging what it abandoned. Resolves to
   * false when it abandoned something (records in flight, a disconnect that hung), else true.
   */
  close(options?: { timeoutMs?: number }): Promise<boolean>
}

export interface EventProducerOptions {
  brokers: readonly string[]
  clientId: string
  /** How long the first record of a batch waits for others. Default: `linger_ms`'s (options.ts). */
  lingerMs?: number
  /** A batch is sent as soon as it holds this many records. Default: `max_batch_records`'s. */
  maxBatchRecords?: number
  /** ...or this many bytes of keys, values and headers. Default: `max_batch_bytes`'s (options.ts). */
  maxBatchBytes?: number
  /** Batches sent and not yet acknowledged; more wait in the buffer. Default: options.ts. */
  maxInFlightBatches?: number
  /** Every send() settles within this time. Default: `produce_timeout_ms`'s. */
  produceTimeoutMs?: number
  /** Record batch compression; a record's own `compression` wins. Default: `compression`'s (options.ts). */
  compression?: CompressionCodec
  /** TLS and SASL to the brokers (resolved by security.ts); plaintext when undefined. */
  security?: KafkaSecurity
  /**
   * Kafka's idempotent produce: a batch the client retries after a lost answer is written once.
   * The client keeps sequence numbers only with one request in flight per broker, so this sends
   * one batch at a time (maxInFlightBatches 1).
   */
  idempotent?: boolean
  /** How keys map to partitions (partitioner.ts). Default `consistent_random`, as librdkafka (options.ts). */
  partitioner?: PartitionerName
  /** How often monitor() asks the cluster for metadata. Default: `health_check_interval_ms`'s. */
  healthCheckIntervalMs?: number
  /** How long one metadata probe (and connect()'s check) may take. Default: `health_check_timeout_ms`'s. */
  healthCheckTimeoutMs?: number
  /**
   * Once monitor() knows Kafka is unavailable (no broker answered a metadata probe), the longest
   * a send already under way waits for its answer: the client's remaining retries are spread over
   * this time. Sends made while it is known to be unavailable are answered at once, and those
   * still buffered fail when it becomes known. Default: `unavailable_wait_ms`'s.
   */
  unavailableWaitMs?: number
  logger: Logger
  metrics?: KafkaMetrics
}

/**
 * The producer behind the gateway and change propagation. Records of concurrent
 * send() calls are coalesced into one client send (one ProduceRequest per broker)
 * per linger window or when a batch is full (batcher.ts), so throughput does not depend on one
 * round trip per HTTP request; every send() is answered by its deadline (deadlines.ts), at once
 * while Kafka is known to be unavailable (connection.ts). Keys are partitioned as `partitioner`
 * says: CRC-32 like librdkafka (EventGate, the default), or murmur2 like the Java client.
 */
export function createEventProducer (options: EventProducerOptions): EventProducer {
  const { connection, deadlines, batcher, shutdown, client, countErrors, produceTimeoutMs } = assemble(options)

  // Not an async function: one promise per call on the gateway's hot path, not two.
  function send (records: readonly ProduceRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    if (shutdown.closing) {
      countErrors('closed', records.length)
      return Promise.reject(new KafkaProducerClosedError())
    }
    if (connection.knownUnavailable()) {
      // Known to be disconnected: answer now rather than after produceTimeoutMs.
      countErrors('unavailable', records.length)
      return Promise.reject(new KafkaUnavailableError(`Not connected to Kafka at ${options.brokers.join(',')}`))
    }
    let bytes = 0
    for (const record of records) {
      if (typeof record.topic !== 'string' || record.topic === '') {
        countErrors('rejected', records.length)
        return Promise.reject(new KafkaProduceError('Every record needs a topic'))
      }
      bytes += recordBytes(record)
    }
    return new Promise<void>((resolve, reject) => {
      const pending: PendingSend = { records, bytes, resolve, reject, deadline: Date.now() + produceTimeoutMs, settled: false, inFlight: false }
      deadlines.add(pending)
      batcher.add(pending)
    })
  }

  return {
    connect: async () => { await connection.connect() },
    monitor: () => { connection.monitor(client) },
    send,
    isReady: () => connection.ready && !shutdown.closed,
    close: async (closeOptions = {}) => shutdown.close(closeOptions.timeoutMs)
  }
}

/** The producer's parts, with the defaults of options.ts, wired to each other. */
function assemble (options: EventProducerOptions) {
  const idempotent = options.idempotent ?? producerDefaults.idempotent
  const produceTimeoutMs = options.produceTimeoutMs ?? producerDefaults.produceTimeoutMs
  const { metrics } = options
  const log = options.logger.child({ module: 'kafka-producer' })
  const countErrors = (reason: ProduceErrorReason, records: number): void => { metrics?.produceErrors.inc({ reason }, records) }

  // Readiness asks the cluster over connections of its own, kept open between probes.
  const probe = createClusterProbe({ brokers: options.brokers, clientId: options.clientId, timeoutMs: options.healthCheckTimeoutMs ?? producerDefaults.healthCheckTimeoutMs, security: options.security, logger: options.logger })
  const connection: ProducerConnection = new ProducerConnection({
    brokers: options.brokers,
    probe,
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? producerDefaults.healthCheckIntervalMs,
    log,
    metrics,
    onConnected: () => { batcher.pump() },
    onUnavailable: (err) => { failQueued(err, 'unavailable') }
  })
  const client = createProducerClient({
    brokers: options.brokers,
    clientId: options.clientId,
    produceTimeoutMs,
    unavailableWaitMs: options.unavailableWaitMs ?? producerDefaults.unavailableWaitMs,
    idempotent,
    partitioner: options.partitioner ?? producerDefaults.partitioner,
    security: options.security,
    knownUnavailable: () => connection.knownUnavailable()
  })
  const deadlines = new SendDeadlines((send) => {
    // Records still in the buffer are dropped, so a client that retries after
    // the 503 does not also get the first copy written later.
    if (!send.inFlight) batcher.remove(send)
    const records = send.records.length
    countErrors('timeout', records)
    connection.timedOut()
    deadlines.settle(send, new KafkaUnavailableError(`Kafka did not acknowledge ${records} record(s) within ${produceTimeoutMs} ms`))
    batcher.notifyIfIdle()
  })
  const batcher: Batcher = new Batcher({
    lingerMs: options.lingerMs ?? producerDefaults.lingerMs,
    maxBatchRecords: options.maxBatchRecords ?? producerDefaults.maxBatchRecords,
    maxBatchBytes: options.maxBatchBytes ?? producerDefaults.maxBatchBytes,
    maxInFlightBatches: idempotent ? 1 : (options.maxInFlightBatches ?? producerDefaults.maxInFlightBatches)
  }, {
    canSend: () => connection.connected,
    send: createBatchSender({ client, compression: options.compression ?? producerDefaults.compression, connection, deadlines, countErrors, log, metrics }),
    metrics
  })
  /** Fails every buffered send with `err`, counted under `reason`. */
  const failQueued = (err: Error, reason: ProduceErrorReason): void => {
    for (const send of batcher.takeAll()) {
      countErrors(reason, send.records.length)
      deadlines.settle(send, err)
    }
    batcher.notifyIfIdle()
  }
  const shutdown = new ProducerShutdown({ client, probe, connection, batcher, deadlines, produceTimeoutMs, log, failQueued: (err) => { failQueued(err, 'closed') } })
  return { connection, deadlines, batcher, shutdown, client, countErrors, produceTimeoutMs }
}
