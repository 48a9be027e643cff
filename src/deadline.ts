/**
 * Waiting with a bound: every wait in Sluice that must be over by a given time whatever the
 * awaited work does (a shutdown step, a drain, a probe, an admin call, a stream waiting for
 * Kafka) goes through `outcomeBefore` and the three shapes below it, and every pause through
 * `pause`.
 *
 * The work is never cancelled here: a wait that ends at its deadline leaves the work running
 * unobserved (its late rejection is caught, so it cannot surface as unhandled). Timers are
 * unref'd: a bounded wait never holds the process up on its own, since the caller may be
 * abandoning the work to keep a shutdown deadline. A pause holds it unless asked not to (a poll
 * loop of a command may be all the process is doing).
 */

/** What a bounded wait saw: the work's outcome, or the deadline first. */
export type Outcome<T> =
  | { status: 'fulfilled', value: T }
  | { status: 'rejected', reason: unknown }
  | { status: 'timeout' }

const timedOut: Outcome<never> = { status: 'timeout' }

/** The epoch millisecond `ms` from now: the deadline of a wait bounded by a duration. */
export function deadlineIn (ms: number): number {
  return Date.now() + ms
}

/** Waits for `work` until `deadline` (epoch ms) and says how it ended. Never rejects. */
export async function outcomeBefore<T> (work: Promise<T>, deadline: number): Promise<Outcome<T>> {
  return await new Promise<Outcome<T>>((resolve) => {
    const timer = setTimeout(() => { resolve(timedOut) }, Math.max(0, deadline - Date.now()))
    timer.unref()
    work.then(
      (value) => { clearTimeout(timer); resolve({ status: 'fulfilled', value }) },
      (reason: unknown) => { clearTimeout(timer); resolve({ status: 'rejected', reason }) }
    )
  })
}

/** Whether `work` settled (either way) before `deadline`: shutdown steps and drains. */
export async function settlesBefore (work: Promise<unknown>, deadline: number): Promise<boolean> {
  return (await outcomeBefore(work, deadline)).status !== 'timeout'
}

/**
 * `work`'s value when it resolves before `deadline`, undefined when the deadline comes first;
 * rejects with `work`'s error when it fails before the deadline.
 */
export async function valueBefore<T> (work: Promise<T>, deadline: number): Promise<{ value: T } | undefined> {
  const outcome = await outcomeBefore(work, deadline)
  if (outcome.status === 'rejected') throw outcome.reason
  return outcome.status === 'fulfilled' ? { value: outcome.value } : undefined
}

/** `work`'s value, or a rejection with `onTimeout()`'s error once `deadline` came first. */
export async function withDeadline<T> (work: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  const outcome = await outcomeBefore(work, deadline)
  if (outcome.status === 'fulfilled') return outcome.value
  throw outcome.status === 'rejected' ? outcome.reason : onTimeout()
}

export interface PauseOptions {
  /** Ends the pause at once when it aborts. */
  signal?: AbortSignal
  /** The pause does not hold the process up (a retry pending at shutdown). Default false. */
  unref?: boolean
}

/** Resolves after `ms`, or at once when the signal aborts (it never rejects). */
export async function pause (ms: number, options: PauseOptions = {}): Promise<void> {
  const { signal } = options
  if (signal?.aborted === true) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    if (options.unref === true) timer.unref()
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (a wait that is part of work shutdown cancels). */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await pause(ms, { signal })
  signal.throwIfAborted()
}
