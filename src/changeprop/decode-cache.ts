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
  const entries = new Map<string, Decoded>()
  return {
    decode (message) {
      if (maxEntries === 0) return decodeEvent(message.value)
      const key = `${message.topic}\0${message.partition}\0${message.offset}`
      const cached = entries.get(key)
      if (cached !== undefined) return cached
      const decoded = decodeEvent(message.value)
      entries.set(key, decoded)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
      return decoded
    }
  }
}
