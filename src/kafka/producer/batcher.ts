import type { KafkaMetrics } from '../../metrics/kafka.js'
import type { PendingSend } from './deadlines.js'

export interface BatchLimits {
  /** How long the first record of a batch waits for others; 0: the end of this turn of the event loop. */
  lingerMs: number
  maxBatchRecords: number
  maxBatchBytes: number
  maxInFlightBatches: number
}

export interface BatcherHooks {
  /** Whether batches may go now (the producer is connected); a later pump() sends what waits. */
  canSend: () => boolean
  /** Sends one batch and settles its sends; never rejects. */
  send: (batch: readonly PendingSend[]) => Promise<void>
  metrics?: KafkaMetrics | undefined
}

/**
 * The buffer between send() and the client: whole send() calls wait here and go out in batches,
 * per linger window or as soon as a batch is full, with at most `maxInFlightBatches` batches sent
 * and not yet settled.
 */
export class Batcher {
  readonly #limits: BatchLimits
  readonly #hooks: BatcherHooks
  readonly #queue: PendingSend[] = []
  #queuedRecords = 0
  #queuedBytes = 0
  #inFlight = 0
  #inFlightRecords = 0
  /** The linger time is over (or a flush was asked): the queue goes out as soon as slots allow. */
  #due = false
  #lingerTimer: NodeJS.Timeout | undefined
  #lingerImmediate: NodeJS.Immediate | undefined
  readonly #idleWaiters: Array<() => void> = []

  constructor (limits: BatchLimits, hooks: BatcherHooks) {
    this.#limits = limits
    this.#hooks = hooks
  }

  get queuedRecords (): number { return this.#queuedRecords }
  get inFlightBatches (): number { return this.#inFlight }
  get inFlightRecords (): number { return this.#inFlightRecords }
  get idle (): boolean { return this.#queue.length === 0 && this.#inFlight === 0 }

  add (send: PendingSend): void {
    this.#queue.push(send)
    this.#queuedRecords += send.records.length
    this.#queuedBytes += send.bytes
    this.#schedule()
  }

  /** Takes a send that is still buffered out of the buffer (it timed out). */
  remove (send: PendingSend): void {
    const index = this.#queue.indexOf(send)
    if (index === -1) return
    this.#queue.splice(index, 1)
    this.#queuedRecords -= send.records.length
    this.#queuedBytes -= send.bytes
  }

  /** Empties the buffer and hands its sends to the caller to fail; then call notifyIfIdle(). */
  takeAll (): PendingSend[] {
    const all = this.#queue.splice(0)
    this.#queuedRecords = 0
    this.#queuedBytes = 0
    return all
  }

  /** Sends what waits without waiting for the linger time. */
  flush (): void {
    this.#due = true
    this.pump()
  }

  /** Resolves once nothing is buffered or in flight. */
  async whenIdle (): Promise<void> {
    if (this.idle) return
    await new Promise<void>((resolve) => { this.#idleWaiters.push(resolve) })
  }

  notifyIfIdle (): void {
    if (!this.idle) return
    for (const wake of this.#idleWaiters.splice(0)) wake()
  }

  stopTimers (): void {
    clearTimeout(this.#lingerTimer)
    this.#lingerTimer = undefined
    clearImmediate(this.#lingerImmediate)
    this.#lingerImmediate = undefined
  }

  /** Sends batches while slots are free and the queue is due (or a batch is full). */
  pump (): void {
    if (!this.#hooks.canSend()) return
    while (this.#inFlight < this.#limits.maxInFlightBatches && this.#queue.length > 0 && (this.#due || this.#full())) {
      this.#dispatch(this.#takeBatch())
    }
    if (this.#queue.length === 0) {
      this.#due = false
      this.stopTimers()
    }
  }

  #full (): boolean {
    return this.#queuedRecords >= this.#limits.maxBatchRecords || this.#queuedBytes >= this.#limits.maxBatchBytes
  }

  #schedule (): void {
    if (this.#full()) {
      this.flush()
      return
    }
    if (this.#limits.lingerMs === 0) {
      // No linger: what this turn of the event loop sent goes as one batch, at once (a timer
      // would wait a millisecond at least). Under load, records gather behind the batches in flight.
      this.#lingerImmediate ??= setImmediate(this.#lingerOver)
      return
    }
    this.#lingerTimer ??= setTimeout(this.#lingerOver, this.#limits.lingerMs)
  }

  readonly #lingerOver = (): void => {
    this.#lingerTimer = undefined
    this.#lingerImmediate = undefined
    this.flush()
  }

  /** Whole send() calls from the head of the queue, up to the caps (at least one call). */
  #takeBatch (): PendingSend[] {
    const { maxBatchRecords, maxBatchBytes } = this.#limits
    const batch: PendingSend[] = []
    let records = 0
    let bytes = 0
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as PendingSend
      if (batch.length > 0 && (records + next.records.length > maxBatchRecords || bytes + next.bytes > maxBatchBytes)) break
      this.#queue.shift()
      this.#queuedRecords -= next.records.length
      this.#queuedBytes -= next.bytes
      records += next.records.length
      bytes += next.bytes
      batch.push(next)
    }
    return batch
  }

  #dispatch (batch: PendingSend[]): void {
    const metrics = this.#hooks.metrics
    let records = 0
    for (const send of batch) {
      send.inFlight = true
      records += send.records.length
    }
    this.#inFlight++
    this.#inFlightRecords += records
    metrics?.produceBatchesInFlight.inc()
    metrics?.produceBatchRecords.observe(records)
    void this.#hooks.send(batch).finally(() => {
      this.#inFlight--
      this.#inFlightRecords -= records
      metrics?.produceBatchesInFlight.dec()
      this.pump()
      this.notifyIfIdle()
    })
  }
}
