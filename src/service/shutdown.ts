import { settlesBefore } from '../deadline.js'
import type { Logger } from '../logger.js'

/**
 * One resource a service closes at shutdown; `close` gets the deadline (epoch ms) it must finish by.
 * A step that keeps the deadline by giving up on work of its own (a producer leaving records
 * in flight) resolves to `false`: it counts as abandoned like one that did not settle in time.
 */
export interface ShutdownStep {
  name: string
  close: (deadline: number) => Promise<unknown>
}

/**
 * Runs `steps` one after the other, every one bounded by the same `deadline`: a step that has
 * not settled by then is abandoned and logged, and the next one still gets its (shortened) turn,
 * so one hanging dependency cannot stretch the whole shutdown or keep the others open. A step
 * that fails is logged too. Resolves to the names of the steps abandoned.
 */
export async function closeInOrder (steps: readonly ShutdownStep[], deadline: number, logger: Logger): Promise<string[]> {
  const abandoned: string[] = []
  for (const step of steps) {
    let gaveUp = false
    const closing = step.close(deadline)
      .then((result) => { gaveUp = result === false })
      .catch((err: unknown) => { logger.error({ err, resource: step.name }, 'shutdown: closing failed') })
    if (!await settlesBefore(closing, deadline) || gaveUp) {
      abandoned.push(step.name)
      logger.warn({ resource: step.name }, 'shutdown: closing abandoned')
    }
  }
  return abandoned
}

/** What a service opened of its own while it was built, each added as soon as it is open. */
export interface OpenedResources {
  /** What stops the service's own timers (re-reads, gauges). */
  stops: Array<() => void>
  /** Closed in reverse order, after the service's own first steps. */
  closers: ShutdownStep[]
}

/**
 * Closes a service within `deadline`: its timers stop, then `first` (what must drain before
 * anything it uses goes: HTTP, open streams, background work) in order, then what it opened in
 * reverse; true when nothing was abandoned.
 */
export async function closeOpened (opened: OpenedResources, first: readonly ShutdownStep[], deadline: number, logger: Logger): Promise<boolean> {
  for (const stop of opened.stops) stop()
  const abandoned = await closeInOrder([...first, ...opened.closers.toReversed()], deadline, logger)
  return abandoned.length === 0
}

/** Startup failed: nothing the service opened may outlive it (polls, timers); the shell closes the context. */
export async function closeFailedStart (opened: OpenedResources, graceMs: number, logger: Logger): Promise<void> {
  for (const stop of opened.stops) stop()
  await closeInOrder(opened.closers.toReversed(), Date.now() + graceMs, logger)
}
