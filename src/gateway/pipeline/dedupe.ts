import { pause } from '../../deadline.js'
import type { Redis } from '../../redis.js'

/** What the store says of an event id: nobody had it (now this caller has it), it was accepted, or someone is producing it. */
export type ClaimResult = 'claimed' | 'accepted' | 'pending'

/** Where accepted event ids are remembered: this process's memory, or Redis shared by replicas. */
export interface DedupeStore {
  /** Takes the id for `pendingMs` unless it is already accepted or taken. */
  claim(key: string, pendingMs: number): Promise<ClaimResult>
  /** The event was acknowledged by Kafka: it is a duplicate for `windowMs`. */
  accept(key: string, windowMs: number): Promise<void>
  /** Producing failed: the id is free again. */
  release(key: string): Promise<void>
  close(): Promise<void>
}

export type DedupeOutcome = 'produced' | 'duplicate'

export interface IntakeDedupe {
  /**
   * Runs `produce` unless an event with `key` was accepted within `windowMs`; concurrent
   * calls with one key wait for the first and are duplicates if it succeeded. The id is recorded
   * only once Kafka acknowledged it, so a failed produce never hides a retry.
   */
  once(key: string, windowMs: number, produce: () => Promise<void>): Promise<DedupeOutcome>
}

export interface DedupeOptions {
  store: DedupeStore
  /** How long a claim holds: a replica that died while producing frees the id after this. */
  pendingMs: number
  /** How often a claim held by another replica is looked at again. */
  pollMs?: number
  /** A store failure: the event is produced anyway (dedupe fails open) and this counts it. */
  onStoreError: (err: unknown) => void
}

export function createIntakeDedupe (options: DedupeOptions): IntakeDedupe {
  const { store, pendingMs } = options
  const pollMs = options.pollMs ?? 25
  // Same-process concurrency is settled here, without the store: the first caller's outcome.
  const inFlight = new Map<string, Promise<boolean>>()

  async function once (key: string, windowMs: number, produce: () => Promise<void>): Promise<DedupeOutcome> {
    for (;;) {
      const pending = inFlight.get(key)
      if (pending === undefined) break
      if (await pending) return 'duplicate'
    }
    let settle: (produced: boolean) => void = () => {}
    inFlight.set(key, new Promise<boolean>((resolve) => { settle = resolve }))
    let produced = false
    try {
      if (await claim(key) === 'accepted') {
        produced = true
        return 'duplicate'
      }
      try {
        await produce()
      } catch (err) {
        await store.release(key).catch(options.onStoreError)
        throw err
      }
      produced = true
      await store.accept(key, windowMs).catch(options.onStoreError)
      return 'produced'
    } finally {
      inFlight.delete(key)
      settle(produced)
    }
  }

  /** Claims the id, waiting while another replica holds it; a store failure claims (fails open). */
  async function claim (key: string): Promise<'claimed' | 'accepted'> {
    const deadline = Date.now() + pendingMs
    for (;;) {
      let result: ClaimResult
      try {
        result = await store.claim(key, pendingMs)
      } catch (err) {
        options.onStoreError(err)
        return 'claimed'
      }
      if (result !== 'pending') return result
      if (Date.now() >= deadline) return 'claimed'
      await pause(pollMs)
    }
  }

  return { once }
}

/**
 * Accepted ids in this process, for the longest window that asked, at most `maxKeys` of them
 * (the oldest go first): a bound, so a flood of distinct ids cannot exhaust memory.
 */
export function createMemoryDedupeStore (maxKeys: number, now: () => number = Date.now): DedupeStore {
  const entries = new Map<string, { state: 'pending' | 'accepted', expires: number }>()
  const put = (key: string, state: 'pending' | 'accepted', ttlMs: number): void => {
    entries.delete(key)
    entries.set(key, { state, expires: now() + ttlMs })
    while (entries.size > maxKeys) entries.delete(entries.keys().next().value!)
  }
  return {
    async claim (key, pendingMs) {
      const entry = entries.get(key)
      if (entry !== undefined && entry.expires > now()) return entry.state
      put(key, 'pending', pendingMs)
      return 'claimed'
    },
    async accept (key, windowMs) { put(key, 'accepted', windowMs) },
    async release (key) {
      if (entries.get(key)?.state === 'pending') entries.delete(key)
    },
    async close () { entries.clear() }
  }
}

// The id's state, or a new claim when there is none: one round trip, atomic across replicas.
const claimScript = `
local state = redis.call('GET', KEYS[1])
if state then return state end
redis.call('SET', KEYS[1], 'pending', 'PX', ARGV[1])
return 'claimed'`

const releaseScript = `
if redis.call('GET', KEYS[1]) == 'pending' then return redis.call('DEL', KEYS[1]) end
return 0`

/** Accepted ids in Redis, shared by every gateway replica: `<prefix>:intake:<stream>:<meta.id>`. */
export function createRedisDedupeStore (redis: Redis, keyPrefix: string): DedupeStore {
  const keyOf = (key: string): string => `${keyPrefix}:intake:${key}`
  return {
    async claim (key, pendingMs) {
      return await redis.eval(claimScript, 1, keyOf(key), pendingMs) as ClaimResult
    },
    async accept (key, windowMs) {
      await redis.set(keyOf(key), 'accepted', 'PX', windowMs)
    },
    async release (key) {
      await redis.eval(releaseScript, 1, keyOf(key))
    },
    async close () {}
  }
}
