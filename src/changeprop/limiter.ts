import { randomUUID } from 'node:crypto'
import { StateStoreError } from './errors.js'
import type { Redis } from '../redis.js'
import { messageOf } from '../errors.js'
import { trimOldest } from './trim-oldest.js'

/**
 * Per-key failure budgets (`limiters`), as in the reference: a rule names a limiter type
 * and a key template (`html:{message.meta.uri}`); every failed execution (5xx, network
 * error, timeout) counts against the key, and once a key has used up `limit` failures
 * within `interval_ms` (in any of the type's windows) further events for it are skipped,
 * so an entity that always fails stops eating capacity. It is not a throughput limiter.
 */
export interface LimiterWindow {
  intervalMs: number
  limit: number
}

export interface LimiterStore {
  /** Whether `key` has used up the budget of limiter `type`. */
  isLimited(type: string, key: string): Promise<boolean>
  recordFailure(type: string, key: string): Promise<void>
}

export type LimiterTypes = ReadonlyMap<string, readonly LimiterWindow[]>

export interface MemoryLimiterOptions {
  types: LimiterTypes
  /** Keys kept per type; the least recently failed are forgotten first. */
  maxKeys?: number
  now?: () => number
}

export function createMemoryLimiterStore (options: MemoryLimiterOptions): LimiterStore {
  const now = options.now ?? Date.now
  const maxKeys = options.maxKeys ?? 100000
  const failures = new Map<string, Map<string, number[]>>()

  function windowsOf (type: string): readonly LimiterWindow[] {
    return options.types.get(type) ?? []
  }

  function recent (type: string, key: string, time: number): number[] {
    const byKey = failures.get(type)
    const list = byKey?.get(key)
    if (byKey === undefined || list === undefined) return []
    const longest = Math.max(...windowsOf(type).map((w) => w.intervalMs))
    const kept = list.filter((at) => at > time - longest)
    if (kept.length === 0) byKey.delete(key)
    else byKey.set(key, kept)
    return kept
  }

  return {
    async isLimited (type, key) {
      const time = now()
      const list = recent(type, key, time)
      return windowsOf(type).some((w) => list.filter((at) => at > time - w.intervalMs).length >= w.limit)
    },
    async recordFailure (type, key) {
      const time = now()
      let byKey = failures.get(type)
      if (byKey === undefined) {
        byKey = new Map()
        failures.set(type, byKey)
      }
      const list = recent(type, key, time)
      byKey.delete(key)
      byKey.set(key, [...list, time])
      trimOldest(byKey, maxKeys)
    }
  }
}

export interface RedisLimiterOptions {
  redis: Redis
  keyPrefix: string
  types: LimiterTypes
  now?: () => number
}

/** Failure times live in one sorted set per key, trimmed to the longest window. */
export function createRedisLimiterStore (options: RedisLimiterOptions): LimiterStore {
  const now = options.now ?? Date.now
  const keyOf = (type: string, key: string): string => `${options.keyPrefix}:limit:${type}:${key}`
  const windowsOf = (type: string): readonly LimiterWindow[] => options.types.get(type) ?? []
  return {
    async isLimited (type, key) {
      const windows = windowsOf(type)
      if (windows.length === 0) return false
      const time = now()
      try {
        const pipeline = options.redis.multi()
        for (const w of windows) pipeline.zcount(keyOf(type, key), `(${time - w.intervalMs}`, '+inf')
        const results = await pipeline.exec()
        return windows.some((w, index) => {
          const [err, count] = results?.[index] ?? [new Error('no reply'), 0]
          if (err !== null) throw err
          return Number(count) >= w.limit
        })
      } catch (err) {
        throw new StateStoreError(`limiter lookup failed: ${messageOf(err)}`, { cause: err })
      }
    },
    async recordFailure (type, key) {
      const windows = windowsOf(type)
      if (windows.length === 0) return
      const time = now()
      const longest = Math.max(...windows.map((w) => w.intervalMs))
      const redisKey = keyOf(type, key)
      try {
        const results = await options.redis.multi()
          .zadd(redisKey, time, `${time}:${randomUUID()}`)
          .zremrangebyscore(redisKey, '-inf', time - longest)
          .pexpire(redisKey, longest)
          .exec()
        const failed = results?.find(([err]) => err !== null)
        if (failed !== undefined) throw failed[0] as Error
      } catch (err) {
        throw new StateStoreError(`limiter update failed: ${messageOf(err)}`, { cause: err })
      }
    }
  }
}
