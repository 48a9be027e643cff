import type { Attempt } from './attempt.js'
import type { CompiledRule } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'

/**
 * The dedupe keys of one first attempt: its `meta.id`, and the rule's dedupe key when it has one.
 * Retries are never deduplicated (they are the same event on purpose).
 */
export function dedupeKeysOf (rule: CompiledRule, attempt: Attempt, context: TemplateContext): string[] {
  if (rule.dedupe === undefined || attempt.retriesLeft !== undefined) return []
  const keys: string[] = []
  const id = attempt.event.meta.id
  if (typeof id === 'string' && id !== '') keys.push(`id:${id}`)
  if (rule.dedupe.key !== undefined) {
    const key = rule.dedupe.key(context)
    if (key !== undefined && key !== null && key !== '') keys.push(`key:${typeof key === 'string' ? key : JSON.stringify(key)}`)
  }
  return keys
}

export interface InFlightKeys {
  /** Runs `fn` once no other attempt holds any of `keys`, holding them meanwhile. */
  exclusive(keys: readonly string[], fn: () => Promise<void>): Promise<void>
}

/**
 * Dedupe keys of the attempts running now in one rule. A copy of an event that arrives while the
 * event still runs waits for it, then is judged by the outcome it recorded, as if the two had
 * arrived one after the other.
 */
export function createInFlightKeys (): InFlightKeys {
  const running = new Map<string, Promise<void>>()
  return {
    async exclusive (keys, fn) {
      if (keys.length === 0) return fn()
      for (let busy = heldOf(running, keys); busy !== undefined; busy = heldOf(running, keys)) await busy
      let done: () => void = () => undefined
      const settled = new Promise<void>((resolve) => { done = resolve })
      for (const key of keys) running.set(key, settled)
      try {
        await fn()
      } finally {
        for (const key of keys) if (running.get(key) === settled) running.delete(key)
        done()
      }
    }
  }
}

/** The attempt holding one of `keys`, if any (a loop: this runs for every event). */
function heldOf (running: ReadonlyMap<string, Promise<void>>, keys: readonly string[]): Promise<void> | undefined {
  for (const key of keys) {
    const held = running.get(key)
    if (held !== undefined) return held
  }
  return undefined
}
