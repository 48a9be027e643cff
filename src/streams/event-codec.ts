import type { StreamRecord } from '../kafka/index.js'
import type { Redactor } from './redaction.js'

/** A Kafka record as clients get it: the event with EventStreams' `meta` additions, and its JSON. */
export interface DecodedEvent {
  event: Record<string, unknown>
  /** JSON of `event`, written as the `data:` line (the same for every client). */
  data: string
}

export interface EventCodec {
  /** For records of the shared tail: decoded once per process, however many clients receive them. */
  shared: (record: StreamRecord) => DecodedEvent | undefined
  /** For records only one client reads (its catch-up): nothing to share, nothing kept. */
  once: (record: StreamRecord) => DecodedEvent | undefined
}

/**
 * The shared tail hands every client the same record objects, so a decoded record is kept for
 * exactly as long as the record (a WeakMap).
 */
export function createEventCodec (redact: Redactor | undefined): EventCodec {
  const cache = new WeakMap<StreamRecord, DecodedEvent | null>()
  return {
    shared: (record) => {
      const known = cache.get(record)
      if (known !== undefined) return known ?? undefined
      const decoded = decode(record, redact)
      cache.set(record, decoded ?? null)
      return decoded
    },
    once: (record) => decode(record, redact)
  }
}

/**
 * EventStreams' deserializer: the value parsed as JSON, `meta` created if missing, and
 * `meta.topic`, `meta.partition`, `meta.offset` set from Kafka (`meta.key` when the record has
 * a key). A value that is not a JSON object is undefined: the caller skips it.
 */
function decode (record: StreamRecord, redact: Redactor | undefined): DecodedEvent | undefined {
  if (record.value === null) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(record.value.toString('utf8'))
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
  let event = parsed as Record<string, unknown>
  const meta = event.meta !== null && typeof event.meta === 'object' && !Array.isArray(event.meta) ? event.meta as Record<string, unknown> : {}
  event.meta = meta
  meta.topic = record.topic
  meta.partition = record.partition
  meta.offset = record.offset
  if (record.key !== null && record.key.length > 0) meta.key = keyOf(record.key)
  if (redact !== undefined) event = redact(event) ?? event
  return { event, data: JSON.stringify(event) }
}

/** Keys Sluice writes are JSON; any other key is given as its UTF-8 text. */
function keyOf (key: Buffer): unknown {
  const text = key.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
