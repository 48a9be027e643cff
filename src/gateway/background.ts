import type { Logger } from '../logger.js'

/**
 * Work that outlives its HTTP response (hasty requests, error events). Every task is
 * tracked so shutdown can wait for it instead of dropping accepted events.
 */
export interface BackgroundTasks {
  run(name: string, task: () => Promise<unknown>): void
  readonly size: number
  /** Resolves when every task started so far has settled. */
  drain(): Promise<void>
}

export function createBackgroundTasks (logger: Logger, onSizeChange: (size: number) => void = () => {}): BackgroundTasks {
  const pending = new Set<Promise<unknown>>()
  return {
    run (name, task) {
      const promise = Promise.resolve()
        .then(task)
        .catch((err: unknown) => { logger.error({ err, task: name }, 'background task failed') })
        .finally(() => {
          pending.delete(promise)
          onSizeChange(pending.size)
        })
      pending.add(promise)
      onSizeChange(pending.size)
    },
    get size () { return pending.size },
    async drain () {
      while (pending.size > 0) await Promise.allSettled([...pending])
    }
  }
}
