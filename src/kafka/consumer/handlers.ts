import { setMaxListeners } from 'node:events'
import { retryUntilDone } from '../../backoff.js'
import type { Backoff } from '../../backoff.js'
import { deadlineIn, settlesBefore } from '../../deadline.js'
import type { Logger } from '../../logger.js'
import { consumerDefaults } from '../options.js'
import type { OffsetTracker } from './offset-tracker.js'

export interface ConsumedMessage {
  topic: string
  partition: number
  /** Decimal string: Kafka offsets are int64. */
  offset: string
  key: Buffer | null
  value: Buffer | null
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string
  headers: Record<string, string>
}

/**
 * Handles one message. Resolving means the message reached its final, durable outcome
 * and its offset may be committed. Rejecting means it did not: the consumer runs the
 * handler again after a back-off (until it resolves or the consumer closes), and the
 * partition's commits wait for it. `signal` aborts when shutdown gives up on in-flight work.
 */
export type MessageHandler = (message: ConsumedMessage, signal: AbortSignal) => Promise<void>

export interface HandlerOptions {
  /** Messages handled at once; the streams pause while all are taken. */
  concurrency: number
  backoff: Backoff
  tracker: OffsetTracker
  log: Logger
  /** A message finished (its offset may be committed). */
  onFinished: () => void
  /** Every slot is taken: stop fetching. */
  pause: () => void
  /** A slot is free again. */
  resume: () => void
}

/**
 * The messages running now: at most `concurrency`, each run again after a back-off until it
 * succeeds or shutdown gives up on it, and marked finished in the offset tracker only then.
 */
export class HandlerRunner {
  readonly #options: HandlerOptions
  readonly #inFlight = new Set<Promise<void>>()
  readonly #abort = new AbortController()
  #running = 0
  #stopped = false

  constructor (options: HandlerOptions) {
    this.#options = options
    // Every in-flight handler may listen on it (its HTTP request, its retry wait).
    setMaxListeners(0, this.#abort.signal)
  }

  get inFlight (): number { return this.#inFlight.size }

  run (handler: MessageHandler, message: ConsumedMessage): void {
    this.#running++
    if (this.#running >= this.#options.concurrency) this.#options.pause()
    const task = this.#runOne(handler, message).finally(() => {
      this.#inFlight.delete(task)
      this.#running--
      if (this.#running < this.#options.concurrency && !this.#stopped) this.#options.resume()
    })
    this.#inFlight.add(task)
  }

  /**
   * Shutdown: no more retries; waits up to `timeoutMs` for the messages running, then aborts
   * them and waits a little more. Resolves to how many were abandoned (they stay uncommitted).
   */
  async drain (timeoutMs: number): Promise<number> {
    this.#stopped = true
    if (await settlesBefore(Promise.allSettled(this.#inFlight), deadlineIn(timeoutMs))) return 0
    const abandoned = this.#inFlight.size
    this.#options.log.warn({ abandoned }, 'shutdown deadline reached; abandoning in-flight messages (they stay uncommitted)')
    this.#abort.abort()
    // Handlers are asked to stop; one that ignores the signal is left behind.
    await settlesBefore(Promise.allSettled(this.#inFlight), deadlineIn(consumerDefaults.abortGraceMs))
    return abandoned
  }

  /** No more retries (shutdown began). */
  stop (): void {
    this.#stopped = true
  }

  async #runOne (handler: MessageHandler, message: ConsumedMessage): Promise<void> {
    const { log } = this.#options
    const at = { topic: message.topic, partition: message.partition, offset: message.offset }
    const signal = this.#abort.signal
    try {
      await retryUntilDone(async () => handler(message, signal), {
        signal,
        backoff: this.#options.backoff,
        stop: () => this.#stopped,
        onRetry: (err, retryInMs) => { log.error({ err, ...at, retryInMs }, 'handler failed; running it again') }
      })
    } catch (err) {
      log.warn({ err, ...at }, 'handler failed during shutdown; the message stays uncommitted')
      return
    }
    this.#options.tracker.finish(message.topic, message.partition, message.offset)
    this.#options.onFinished()
  }
}
