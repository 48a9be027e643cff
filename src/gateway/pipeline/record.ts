import type { ProduceRecord } from '../../kafka/index.js'
import type { StreamSettings } from '../../stream-config/index.js'
import { topicOf } from '../../stream-config/topic-name.js'
import { EventKeyFieldMissingError, EventTooLargeError } from '../errors.js'
import type { EventObject } from './event-fields.js'
import { getPath } from './event-fields.js'

export interface RecordOptions {
  topicPrefix: string
  dtField: string
  maxMessageBytes: number
}

/** EventGate keeps legacy EventLogging topics unprefixed. */
export function topicFor (stream: string, topicPrefix: string): string {
  return topicOf(stream, topicPrefix)
}

/**
 * Turns an accepted event into its Kafka record: topic `<prefix><stream>`, key from the
 * stream's `message_key_fields` (JSON of the selected fields, as EventGate does), and the
 * record timestamp from `meta.dt`.
 */
export function toRecord (event: EventObject, stream: string, settings: StreamSettings | undefined, options: RecordOptions): ProduceRecord {
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
  const dt = getPath(event, options.dtField)
  const time = typeof dt === 'string' ? Date.parse(dt) : Number.NaN
  const record: ProduceRecord = { topic: topicFor(stream, options.topicPrefix), key, value }
  if (Number.isFinite(time)) record.timestamp = time
  if (settings?.compression !== undefined) record.compression = settings.compression
  return record
}
