import { deadlineIn, settlesBefore } from '../../deadline.js'
import type { Logger } from '../../logger.js'
import { KafkaProducerClosedError } from '../errors.js'
import { producerDefaults } from '../options.js'
import type { ClusterProbe } from '../health.js'
import type { Batcher } from './batcher.js'
import type { ProducerClient } from './client.js'
import type { ProducerConnection } from './connection.js'
import type { SendDeadlines } from './deadlines.js'

export interface ShutdownParts {
  client: ProducerClient
  probe: ClusterProbe
  connection: ProducerConnection
  batcher: Batcher
  deadlines: SendDeadlines
  /** Every send settles within it, so the flush's wait is bounded by it too. */
  produceTimeoutMs: number
  log: Logger
  /** Fails every buffered send with a KafkaProducerClosedError. */
  failQueued: (err: KafkaProducerClosedError) => void
}

/**
 * The producer's close: refuse new sends, send what waits in the buffer without waiting for the
 * linger time, wait for the batches in flight, disconnect; within a time when asked, abandoning
 * (and logging) what Kafka does not finish by then.
 */
export class ProducerShutdown {
  readonly #parts: ShutdownParts
  #closing: Promise<boolean> | undefined
  #closed = false
  /** What close() is waiting for, named in the log when it gives up. */
  #step: 'connect' | 'flush' | 'disconnect' | 'done' = 'connect'

  constructor (parts: ShutdownParts) {
    this.#parts = parts
  }

  /** close() began: sends are refused. */
  get closing (): boolean { return this.#closing !== undefined }
  /** close() finished, or gave up. */
  get closed (): boolean { return this.#closed }

  /** Resolves to false when it abandoned something (records in flight, a disconnect that hung). */
  async close (timeoutMs?: number): Promise<boolean> {
    this.#closing ??= this.#run()
    if (timeoutMs === undefined) return this.#closing
    if (!await settlesBefore(this.#closing, deadlineIn(timeoutMs))) {
      this.#abandon(timeoutMs)
      return false
    }
    return this.#closing
  }

  async #run (): Promise<boolean> {
    const { client, probe, connection, batcher, deadlines, produceTimeoutMs, log } = this.#parts
    connection.stop()
    const connecting = connection.connecting
    if (connecting !== undefined) await settlesBefore(connecting, deadlineIn(produceTimeoutMs))
    probe.close().catch(() => undefined)
    this.#step = 'flush'
    if (connection.connected) batcher.flush()
    else this.#parts.failQueued(new KafkaProducerClosedError())
    // Every send settles within produceTimeoutMs, so this wait is bounded.
    const complete = await settlesBefore(batcher.whenIdle(), deadlineIn(produceTimeoutMs + producerDefaults.flushMarginMs))
    batcher.stopTimers()
    this.#step = 'disconnect'
    const disconnected = await settlesBefore(client.close(true).catch((err: unknown) => { log.warn({ err }, 'Kafka producer disconnect failed') }), deadlineIn(produceTimeoutMs))
    deadlines.stop()
    this.#step = 'done'
    this.#closed = true
    connection.closed()
    log.info('Kafka producer closed')
    return complete && disconnected
  }

  /** close() ran out of time: what is still queued fails now, and the log says what was left. */
  #abandon (timeoutMs: number): void {
    const { batcher, connection, log } = this.#parts
    const queued = batcher.queuedRecords
    this.#parts.failQueued(new KafkaProducerClosedError())
    this.#closed = true
    connection.closed()
    log.warn({ step: this.#step, queuedRecords: queued, inFlightBatches: batcher.inFlightBatches, inFlightRecords: batcher.inFlightRecords }, `Kafka producer did not close within ${timeoutMs} ms; abandoning it (records not yet acknowledged may or may not have been written)`)
  }
}
