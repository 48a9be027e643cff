import { EventMalformedError } from './errors.js'
import { messageOf } from '../errors.js'

export type ChangeEvent = Record<string, unknown> & { meta: Record<string, unknown> }

export type Decoded =
  | { ok: true, event: ChangeEvent }
  | { ok: false, raw: string, error: EventMalformedError }

/** Whether a value is an event: a JSON object with a `meta` object. */
export function isChangeEvent (value: unknown): value is ChangeEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const meta = (value as Record<string, unknown>).meta
  return meta !== null && typeof meta === 'object' && !Array.isArray(meta)
}

/** A Kafka message value → an event, or why it is not one (never throws). */
export function decodeEvent (value: Buffer | null): Decoded {
  const raw = value === null ? '' : value.toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    return { ok: false, raw, error: new EventMalformedError(`the message is not JSON: ${messageOf(err)}`, { cause: err }) }
  }
  if (!isChangeEvent(parsed)) {
    return { ok: false, raw, error: new EventMalformedError('the message is not a JSON object with a meta object') }
  }
  return { ok: true, event: parsed }
}
