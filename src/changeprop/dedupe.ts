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
  // Map iteration order is insertion order, so the first entries are the oldest.
  const namespaces = new Map<string, Map<string, number>>()

  function expire (entries: Map<string, number>, time: number): void {
    for (const [key, expiresAt] of entries) {
      if (expiresAt > time) break
      entries.delete(key)
    }
  }

  return {
    async seen (namespace, keys) {
      const entries = namespaces.get(namespace)
      if (entries === undefined) return false
      const time = now()
      expire(entries, time)
      return keys.some((key) => (entries.get(key) ?? 0) > time)
    },
    async record (namespace, keys) {
      if (options.windowMs <= 0) return
      let entries = namespaces.get(namespace)
      if (entries === undefined) {
        entries = new Map()
        namespaces.set(namespace, entries)
      }
      const expiresAt = now() + options.windowMs
      for (const key of keys) {
        entries.delete(key)
        entries.set(key, expiresAt)
      }
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
