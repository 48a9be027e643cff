import type { Logger } from '../logger.js'

/**
 * Waits for `work` until `deadline` (epoch ms); false when it had not settled by then. Shutdown
 * steps use it to stay within their grace period whatever a dependency does; the timer is
 * unref'd so that an abandoned step does not keep the process alive either.
 */
export async function settlesBefore (work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const inTime = await Promise.race([
    work.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => { resolve(false) }, Math.max(0, deadline - Date.now()))
      timer.unref()
    })
  ])
  clearTimeout(timer)
  return inTime
}

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
