import { sleep } from './deadline.js'

/**
 * The one retry policy for work that must eventually succeed inside a process: a message handler
 * the Kafka consumer runs again, a retry or error event change propagation must get into Kafka.
 * Try again after `initialMs`, doubling up to `maxMs`, for as long as the failure may pass and
 * until shutdown stops it; each retry is logged by the caller. A failure no retry can change
 * (the caller's `isPermanent`) ends it at once, and so does shutdown: the work is then left
 * unfinished (its message uncommitted, so it runs again after a restart), never dropped.
 */
export interface Backoff {
  initialMs: number
  maxMs: number
}

export const defaultBackoff: Readonly<Backoff> = { initialMs: 100, maxMs: 5000 }

export interface RetryOptions {
  /** Aborted at shutdown: the wait ends and the last failure is thrown. */
  signal: AbortSignal
  backoff?: Backoff | undefined
  /** A failure that is thrown at once instead of retried. */
  isPermanent?: (err: unknown) => boolean
  /** Whether to stop retrying (e.g. the consumer is draining): the last failure is thrown. */
  stop?: () => boolean
  /** Called before each wait, to log the failure and the delay. */
  onRetry: (err: unknown, delayMs: number) => void
}

/** Runs `attempt` until it resolves, under the policy above. */
export async function retryUntilDone<T> (attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = options.backoff ?? defaultBackoff
  let delay = backoff.initialMs
  for (;;) {
    try {
      return await attempt()
    } catch (err) {
      if (options.signal.aborted || options.stop?.() === true || options.isPermanent?.(err) === true) throw err
      options.onRetry(err, delay)
      await sleep(delay, options.signal)
      delay = Math.min(delay * 2, backoff.maxMs)
    }
  }
}
