import type { ConsumedMessage } from '../kafka/index.js'
import type { Decoded } from './decode.js'
import { decodeEvent } from './decode.js'

/** Decodes consumed messages; each record once, however many rules read it. */
export interface DecodeCache {
  decode(message: ConsumedMessage): Decoded
}

/**
 * Every rule on a topic reads it in a consumer group of its own, so the same record reaches
 * the process once per rule. A record at an offset never changes, so the first rule's decode
 * serves the others: twenty rules on a topic parse each event once, not twenty times.
 * Decoded events are shared, so nothing downstream may change them (exec-steps.ts copies an
 * event a rule produces before filling it in). The newest `maxEntries` records are kept; a
 * rule that falls further behind decodes for itself.
 */
export function createDecodeCache (maxEntries: number): DecodeCache {
  if (maxEntries === 0) return { decode: (message) => decodeEvent(message.value) }
  const entries = new Map<string, Decoded>()
  // The keys in arrival order, as a ring: the oldest is dropped without an iterator.
  const order: string[] = new Array<string>(maxEntries)
  let next = 0
  return {
    decode (message) {
      const key = `${message.offset} ${message.partition} ${message.topic}`
      const cached = entries.get(key)
      if (cached !== undefined) return cached
      const decoded = decodeEvent(message.value)
      const oldest = order[next]
      if (oldest !== undefined) entries.delete(oldest)
      order[next] = key
      next = (next + 1) % maxEntries
      entries.set(key, decoded)
      return decoded
    }
  }
}
