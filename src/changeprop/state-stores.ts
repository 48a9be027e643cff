import type { Logger } from '../logger.js'
import { createRedisClient } from '../redis.js'
import type { Redis } from '../redis.js'
import type { ChangepropConfig } from './config.js'
import { createMemoryDedupeStore, createRedisDedupeStore } from './dedupe.js'
import type { DedupeStore } from './dedupe.js'
import { createMemoryLimiterStore, createRedisLimiterStore } from './limiter.js'
import type { LimiterStore, LimiterTypes } from './limiter.js'

/** Where the rules' dedupe and limiter state lives: shared by every instance in Redis, or in this process. */
export interface StateStores {
  dedupe: DedupeStore
  limiter: LimiterStore
}

/** The stores' Redis client, not connected yet; undefined without `redis` in the configuration (the stores are then in memory). */
export async function createStoresRedis (config: Readonly<ChangepropConfig>, logger: Logger): Promise<Redis | undefined> {
  if (config.redis === undefined) return undefined
  return createRedisClient({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, logger })
}

/** The stores on `redis` (connected here), or in memory without it. */
export async function createStateStores (config: Readonly<ChangepropConfig>, redis: Redis | undefined, log: Logger): Promise<StateStores> {
  const limiterTypes: LimiterTypes = new Map(Object.entries(config.limiters).map(([type, spec]) => [
    type,
    (Array.isArray(spec) ? spec : [spec]).map((w) => ({ intervalMs: w.interval_ms, limit: w.limit }))
  ]))
  if (redis !== undefined && config.redis !== undefined) {
    // Both stores fail open, so a Redis that is down at startup delays nothing.
    await redis.connect().catch((err: unknown) => { log.warn({ err }, 'redis not reachable at startup; retrying in the background') })
    return {
      dedupe: createRedisDedupeStore({ redis, keyPrefix: config.redis.key_prefix, windowMs: config.dedupe.window_ms }),
      limiter: createRedisLimiterStore({ redis, keyPrefix: config.redis.key_prefix, types: limiterTypes })
    }
  }
  return {
    dedupe: createMemoryDedupeStore({ windowMs: config.dedupe.window_ms, maxEntries: config.dedupe.max_entries }),
    limiter: createMemoryLimiterStore({ types: limiterTypes })
  }
}
