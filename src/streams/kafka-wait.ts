import { pause, valueBefore } from '../deadline.js'
import type { StreamReader } from './tails.js'
import { KafkaWaitExpiredError, StreamRequestError } from './errors.js'

export interface KafkaWaitOptions<T> {
  reader: StreamReader
  /** How long the stream waits for Kafka at most (`kafka_unavailable_wait_ms`). */
  waitMs: number
  /** How often the reader's readiness is looked at meanwhile. */
  pollMs: number
  /** Aborted when the client leaves: the wait stops at once. */
  signal: AbortSignal
  /** An attempt already under way, waited for first. */
  pending?: Promise<T>
}

/**
 * A stream accepted while Kafka does not answer: `attempt` (the plan's Kafka part) is tried each
 * time the reader has had an answer from Kafka, until one succeeds, a refusal (a
 * StreamRequestError, e.g. none of the topics exists) ends the stream, or `waitMs` is over
 * (KafkaWaitExpiredError). Attempts are made only while the reader is ready, so clients waiting
 * through an outage do not each keep asking a broker that is gone.
 */
export async function waitForKafka<T> (attempt: () => Promise<T>, options: KafkaWaitOptions<T>): Promise<T> {
  const deadline = Date.now() + options.waitMs
  let pending = options.pending
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason
    if (pending !== undefined || options.reader.isReady()) {
      const result = await valueBefore(pending ?? attempt(), deadline).catch((err: unknown) => {
        if (err instanceof StreamRequestError) throw err
        return undefined
      })
      pending = undefined
      if (result !== undefined) return result.value
    }
    const left = deadline - Date.now()
    if (left <= 0) throw new KafkaWaitExpiredError(options.waitMs)
    await pause(Math.min(options.pollMs, left), { signal: options.signal })
  }
}
