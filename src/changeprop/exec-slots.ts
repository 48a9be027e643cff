/**
 * The execution slots of a rule's retry consumer. That consumer holds up to `concurrency +
 * max_waiting_events` events, most of them waiting for their time (a retry's delay, a target's
 * Retry-After, a rule's delay); only `concurrency` of them execute at once. So events waiting
 * for a later time never keep a due one of another key from running.
 */
export interface ExecSlots {
  /** Runs `fn` in a free slot, first come first served; rejects with the signal's reason if it aborts while waiting. */
  run<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T>
}

export function createExecSlots (size: number): ExecSlots {
  let free = size
  const queue: Array<() => void> = []

  async function take (signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (free > 0 && queue.length === 0) {
      free--
      return
    }
    await new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        const index = queue.indexOf(granted)
        if (index >= 0) queue.splice(index, 1)
        reject(signal.reason ?? new Error('aborted'))
      }
      queue.push(granted)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  function give (): void {
    const next = queue.shift()
    if (next === undefined) free++
    else next()
  }

  return {
    async run (fn, signal) {
      await take(signal)
      try {
        return await fn()
      } finally {
        give()
      }
    }
  }
}
