import { StateStoreError } from './errors.js'
import type { Redis } from '../redis.js'
import { messageOf } from '../errors.js'
import { trimOldest } from './trim-oldest.js'

/**
 * Remembers which events a rule already handled, for a time window.
 *
 * The reference marks an event as seen *before* running it, so an event interrupted by a
 * crash and replayed within the window is skipped, i.e. lost. Here the runner only asks
 * `seen` before running and calls `record` once the event's outcome is durable, so a replay
 * of an unfinished event runs again. A copy read while the event is still running in the same
 * rule and process waits for it (the runner does that), then is judged by what it recorded.
 * Copies running at once in different instances may both execute; at-least-once allows
 * that, losing one does not.
 */
export interface DedupeStore {
  /** Whether any of `keys` was recorded in `namespace` within the window. */
  seen(namespace: string, keys: readonly string[]): Promise<boolean>
  record(namespace: string, keys: readonly string[]): Promise<void>
}

export interface MemoryDedupeOptions {
  windowMs: number
  /** Keys kept per namespace; the oldest are forgotten first. */
  maxEntries: number
  now?: () => number
}

/** One process's memory. Lost on restart, not shared between instances. */
export function createMemoryDedupeStore (options: MemoryDedupeOptions): DedupeStore {
  const now = options.now ?? Date.now
  // Map iteration order is insertion order, so the first entries are the oldest. `firstExpiry`
  // is when the oldest entry expires: until then nothing is, and no iterator is made per event.
  const namespaces = new Map<string, { entries: Map<string, number>, firstExpiry: number }>()

  function expire (namespace: { entries: Map<string, number>, firstExpiry: number }, time: number): void {
    if (time < namespace.firstExpiry) return
    namespace.firstExpiry = Number.POSITIVE_INFINITY
    for (const [key, expiresAt] of namespace.entries) {
      if (expiresAt > time) {
        namespace.firstExpiry = expiresAt
        break
      }
      namespace.entries.delete(key)
    }
  }

  return {
    async seen (name, keys) {
      const namespace = namespaces.get(name)
      if (namespace === undefined) return false
      const time = now()
      expire(namespace, time)
      for (const key of keys) if ((namespace.entries.get(key) ?? 0) > time) return true
      return false
    },
    async record (name, keys) {
      if (options.windowMs <= 0) return
      let namespace = namespaces.get(name)
      if (namespace === undefined) {
        namespace = { entries: new Map(), firstExpiry: Number.POSITIVE_INFINITY }
        namespaces.set(name, namespace)
      }
      const { entries } = namespace
      const expiresAt = now() + options.windowMs
      for (const key of keys) {
        entries.delete(key)
        entries.set(key, expiresAt)
      }
      // The oldest entry expires first; one re-recorded or trimmed away only makes that later.
      namespace.firstExpiry = Math.min(namespace.firstExpiry, expiresAt)
      trimOldest(entries, options.maxEntries)
    }
  }
}

export interface RedisDedupeOptions {
  redis: Redis
  keyPrefix: string
  windowMs: number
}

/** Shared by every instance; keys expire on their own after the window. */
export function createRedisDedupeStore (options: RedisDedupeOptions): DedupeStore {
  const keyOf = (namespace: string, key: string): string => `${options.keyPrefix}:dedupe:${namespace}:${key}`
  return {
    async seen (namespace, keys) {
      if (keys.length === 0) return false
      try {
        return await options.redis.exists(...keys.map((key) => keyOf(namespace, key))) > 0
      } catch (err) {
        throw new StateStoreError(`dedupe lookup failed: ${messageOf(err)}`, { cause: err })
      }
    },
    async record (namespace, keys) {
      if (options.windowMs <= 0 || keys.length === 0) return
      try {
        const pipeline = options.redis.multi()
        for (const key of keys) pipeline.set(keyOf(namespace, key), '1', 'PX', options.windowMs)
        const results = await pipeline.exec()
        const failed = results?.find(([err]) => err !== null)
        if (failed !== undefined) throw failed[0] as Error
      } catch (err) {
        throw new StateStoreError(`dedupe record failed: ${messageOf(err)}`, { cause: err })
      }
    }
  }
}
