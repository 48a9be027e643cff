import type { Logger } from '../logger.js'

/**
 * Work that outlives its HTTP response (hasty requests, error events). Every task is
 * tracked so shutdown can wait for it instead of dropping accepted events.
 */
export interface BackgroundTasks {
  run(name: string, task: () => Promise<unknown>): void
  /**
   * Starts the task once the events of the tasks started this way (`weight` each) leave room
   * for its own under the limit, and resolves when it started. While nothing is pending a task
   * starts whatever its weight, so one large request is never refused for good.
   */
  runWithin(name: string, task: () => Promise<unknown>, weight: number): Promise<void>
  readonly size: number
  /** Resolves when every task started so far has settled. */
  drain(): Promise<void>
}

export interface BackgroundOptions {
  /** Called with the number of pending tasks whenever it changes. */
  onSizeChange?: (size: number) => void
  /** Called with the number of runWithin() calls waiting for room whenever it changes. */
  onWaitingChange?: (waiting: number) => void
  /** The pending weight (events) above which runWithin() waits. */
  maxWeight?: number
}

interface Waiter {
  weight: number
  start: () => void
}

export function createBackgroundTasks (logger: Logger, options: BackgroundOptions = {}): BackgroundTasks {
  const onSizeChange = options.onSizeChange ?? (() => {})
  const onWaitingChange = options.onWaitingChange ?? (() => {})
  const maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY
  const pending = new Set<Promise<unknown>>()
  const waiters: Waiter[] = []
  let weight = 0

  function start (name: string, task: () => Promise<unknown>, taskWeight: number): void {
    weight += taskWeight
    const promise = Promise.resolve()
      .then(task)
      .catch((err: unknown) => { logger.error({ err, task: name }, 'background task failed') })
      .finally(() => {
        pending.delete(promise)
        weight -= taskWeight
        onSizeChange(pending.size)
        wakeWaiters()
      })
    pending.add(promise)
    onSizeChange(pending.size)
  }

  function fits (taskWeight: number): boolean {
    return weight === 0 || weight + taskWeight <= maxWeight
  }

  /** First come, first started: a large waiter is not overtaken by smaller ones. */
  function wakeWaiters (): void {
    const before = waiters.length
    while (waiters.length > 0 && fits((waiters[0] as Waiter).weight)) (waiters.shift() as Waiter).start()
    if (waiters.length !== before) onWaitingChange(waiters.length)
  }

  return {
    run (name, task) { start(name, task, 0) },
    async runWithin (name, task, taskWeight) {
      if (waiters.length === 0 && fits(taskWeight)) {
        start(name, task, taskWeight)
        return
      }
      await new Promise<void>((resolve) => {
        waiters.push({ weight: taskWeight, start: () => { start(name, task, taskWeight); resolve() } })
        onWaitingChange(waiters.length)
      })
    },
    get size () { return pending.size },
    async drain () {
      while (pending.size > 0 || waiters.length > 0) await Promise.allSettled([...pending])
    }
  }
}
