import type { ProduceRecord } from '../../kafka/index.js'
import type { StreamSettings } from '../../stream-config/index.js'
import { namingOf, topicOf } from '../../stream-config/index.js'
import { EventKeyFieldMissingError, EventTooLargeError } from '../errors.js'
import type { EventObject } from './event-fields.js'
import { getPath } from './event-fields.js'

export interface RecordOptions {
  topicPrefix: string
  /** The prefix of the datacenter owning legacy streams' bare topic names; default: topicPrefix. */
  legacyTopicsHome?: string | undefined
  dtField: string
  maxMessageBytes: number
}

/** The topology's rule: `<prefix><stream>`, legacy EventLogging streams bare in their home datacenter. */
export function topicFor (stream: string, topicPrefix: string, legacyTopicsHome?: string): string {
  return topicOf(stream, namingOf(topicPrefix, legacyTopicsHome))
}

/** A record timestamp that had to be moved into the allowed window, and which way it was off. */
export type ClampDirection = 'past' | 'future'

export interface RecordTimestamp {
  timestamp: number
  /** Set when the event's time was further than the skew from the intake time. */
  clamped: ClampDirection | undefined
}

/**
 * The record timestamp of an event: its `dt_field` (EventGate's rule), held within `maxSkewMs` of
 * the intake time, or the intake time when the field is absent or not a date. Kafka keys time-based
 * retention, offset lookups by time (`since`, a resume in another datacenter, a change-propagation
 * takeover) and MirrorMaker's lag on this timestamp, and a Kafka 4 broker refuses records more than
 * `message.timestamp.after.max.ms` (1 hour by default) in the future: a client's clock must move
 * none of these further than the skew.
 */
export function recordTimestamp (event: EventObject, dtField: string, intakeMs: number, maxSkewMs: number): RecordTimestamp {
  const dt = getPath(event, dtField)
  const time = typeof dt === 'string' ? Date.parse(dt) : Number.NaN
  if (!Number.isFinite(time)) return { timestamp: intakeMs, clamped: undefined }
  if (time < intakeMs - maxSkewMs) return { timestamp: intakeMs - maxSkewMs, clamped: 'past' }
  if (time > intakeMs + maxSkewMs) return { timestamp: intakeMs + maxSkewMs, clamped: 'future' }
  return { timestamp: time, clamped: undefined }
}

/** The stream's `max_timestamp_skew_ms`, else the gateway's. */
export function maxSkewOf (settings: StreamSettings | undefined, fallback: number): number {
  const own = settings?.max_timestamp_skew_ms
  return typeof own === 'number' ? own : fallback
}

/**
 * Turns an accepted event into its Kafka record: topic `<prefix><stream>`, key from the
 * stream's `message_key_fields` (JSON of the selected fields, as EventGate does), and the
 * record timestamp given (see recordTimestamp), else the event's `dt_field` as it is.
 */
export function toRecord (event: EventObject, stream: string, settings: StreamSettings | undefined, options: RecordOptions, timestamp?: number): ProduceRecord {
  let key: string | null = null
  if (settings?.message_key_fields !== undefined) {
    const keyObject: Record<string, unknown> = {}
    for (const [name, path] of Object.entries(settings.message_key_fields)) {
      const value = getPath(event, path)
      if (value === undefined) throw new EventKeyFieldMissingError(path)
      keyObject[name] = value
    }
    key = JSON.stringify(keyObject)
  }
  // Encoded once: the size check and the Kafka client both use these bytes.
  const value = Buffer.from(JSON.stringify(event))
  const bytes = value.length
  if (bytes > options.maxMessageBytes) throw new EventTooLargeError(bytes, options.maxMessageBytes)
  const record: ProduceRecord = { topic: topicFor(stream, options.topicPrefix, options.legacyTopicsHome), key, value }
  // Before the timestamp: a record with a given timestamp keeps its stream's codec too.
  if (settings?.compression !== undefined) record.compression = settings.compression
  if (timestamp !== undefined) {
    record.timestamp = timestamp
    return record
  }
  const dt = getPath(event, options.dtField)
  const time = typeof dt === 'string' ? Date.parse(dt) : Number.NaN
  if (Number.isFinite(time)) record.timestamp = time
  return record
}
