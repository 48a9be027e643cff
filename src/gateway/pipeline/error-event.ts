import { cutText } from '../../log-bounds.js'
import type { EventObject } from './event-fields.js'
import { getPath } from './event-fields.js'

export interface ErrorEventOptions {
  schemaUri: string
  stream: string
  emitterId: string
  now: Date
  /** Longest string copied from the event (`$schema`, stream, message; longer meta fields are left out). */
  maxStringLength: number
  /** Bytes `raw_event` takes in the error event at most, escaped as it is there. */
  maxRawEventBytes: number
  /** Leave out the meta fields copied from the event (a second try, when the error schema refused them). */
  minimal?: boolean
}

function text (value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * An invalid event becomes an event of the error schema (fields as Wikimedia's `/error/2.x`),
 * so the invalid data is kept and can be replayed once its producer is fixed. What it copies is
 * bounded, so that every invalid event gets an error event that fits in a Kafka message: the raw
 * event is cut (and marked) at `maxRawEventBytes`, other strings at `maxStringLength`, and a
 * `meta.uri`, `meta.domain` or `meta.request_id` longer than that is left out.
 */
export function buildErrorEvent (event: unknown, message: string, errorType: string, options: ErrorEventOptions): EventObject {
  const original: EventObject = event !== null && typeof event === 'object' && !Array.isArray(event) ? event as EventObject : {}
  const meta: EventObject = { stream: options.stream }
  if (options.minimal !== true) {
    for (const field of ['uri', 'domain', 'request_id'] as const) {
      const value = text(getPath(original, `meta.${field}`))
      if (value !== undefined && value.length <= options.maxStringLength) meta[field] = value
    }
  }
  const copy = (value: string | undefined): string | undefined => value === undefined ? undefined : cutText(value, options.maxStringLength)
  return {
    $schema: options.schemaUri,
    meta,
    dt: options.now.toISOString(),
    emitter_id: options.emitterId,
    raw_event: rawEventWithin(typeof event === 'string' ? event : JSON.stringify(event) ?? String(event), options.maxRawEventBytes),
    message: cutText(message, options.maxStringLength),
    error_type: errorType,
    errored_schema_uri: copy(text(getPath(original, '$schema'))) ?? 'unknown',
    errored_stream_name: copy(text(getPath(original, 'meta.stream'))) ?? 'unknown'
  }
}

/**
 * `raw` cut (and marked) so that it takes at most `maxBytes` once escaped as a JSON string in
 * the error event: quotes and backslashes double, control characters take six bytes.
 */
export function rawEventWithin (raw: string, maxBytes: number): string {
  let keep = Math.min(raw.length, maxBytes)
  let candidate = keep === raw.length ? raw : cutText(raw, keep)
  for (;;) {
    const bytes = Buffer.byteLength(JSON.stringify(candidate))
    if (bytes <= maxBytes || keep === 0) return candidate
    keep = Math.max(0, Math.min(keep - 1, Math.floor(keep * (maxBytes / bytes) * 0.95)))
    candidate = cutText(raw, keep)
  }
}
