import { randomUUID } from 'node:crypto'
import type { Redis } from '../redis.js'

/** Takes one connection slot of a client IP; undefined when the IP is at its limit. The release runs once, however often it is called. */
export interface ConnectionSlots {
  acquire(ip: string, limit: number): Promise<(() => void) | undefined>
  close(): Promise<void>
}

/** This process's count (EventStreams' behaviour), decremented exactly once per connection. */
export function createMemorySlots (): ConnectionSlots {
  const counts = new Map<string, number>()
  return {
    async acquire (ip, limit) {
      const held = counts.get(ip) ?? 0
      if (held >= limit) return undefined
      counts.set(ip, held + 1)
      return once(() => {
        const left = (counts.get(ip) ?? 1) - 1
        if (left <= 0) counts.delete(ip)
        else counts.set(ip, left)
      })
    },
    async close () { counts.clear() }
  }
}

export interface RedisSlotsOptions {
  redis: Redis
  keyPrefix: string
  /** A slot its replica stopped refreshing (it died) expires after this long. */
  ttlMs: number
  /** Counted when Redis fails; the IP is then judged by this process's count alone. */
  onStoreError: (err: unknown) => void
}

// Drops expired slots, then takes one if the IP has fewer than the limit. One round trip, atomic.
const acquireScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`

/**
 * Every replica's connections counted together: one sorted set per IP whose members are this
 * process's slots, scored by when they expire. Slots are refreshed while their connection is
 * open and removed when it closes; a replica that dies leaves slots that expire after `ttlMs`.
 * When Redis fails the IP is judged by this process's count, so Redis trouble never refuses
 * a client the memory limit would take.
 */
export function createRedisSlots (options: RedisSlotsOptions): ConnectionSlots {
  const { redis, ttlMs } = options
  const replica = randomUUID()
  const local = createMemorySlots()
  const held = new Map<string, string>()
  let sequence = 0
  const keyOf = (ip: string): string => `${options.keyPrefix}:streams:ip:${ip}`

  const refresh = setInterval(() => {
    if (held.size === 0) return
    const expiry = Date.now() + ttlMs
    const batch = redis.pipeline()
    for (const [member, key] of held) batch.zadd(key, 'XX', expiry, member).pexpire(key, ttlMs)
    batch.exec().catch(options.onStoreError)
  }, Math.max(250, Math.floor(ttlMs / 3)))
  refresh.unref()

  return {
    async acquire (ip, limit) {
      const releaseLocal = await local.acquire(ip, Number.MAX_SAFE_INTEGER)
      const key = keyOf(ip)
      const member = `${replica}:${++sequence}`
      let taken: boolean
      try {
        const now = Date.now()
        taken = await redis.eval(acquireScript, 1, key, now, limit, now + ttlMs, member, ttlMs) === 1
      } catch (err) {
        options.onStoreError(err)
        releaseLocal!()
        return await local.acquire(ip, limit)
      }
      if (!taken) {
        releaseLocal!()
        return undefined
      }
      held.set(member, key)
      return once(() => {
        held.delete(member)
        releaseLocal!()
        redis.zrem(key, member).catch(options.onStoreError)
      })
    },
    async close () {
      clearInterval(refresh)
      const members = [...held]
      held.clear()
      await Promise.allSettled(members.map(async ([member, key]) => redis.zrem(key, member)))
    }
  }
}

function once (fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
