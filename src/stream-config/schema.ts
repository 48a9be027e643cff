import { compressionCodecs } from '../kafka/index.js'
import type { CompressionCodec } from '../kafka/index.js'

/** Settings of one stream, as in Wikimedia's EventStreamConfig. Unknown settings are kept and served as they are. */
export interface StreamSettings {
  schema_title: string
  /** Kafka message key: key name → dotted path into the event. */
  message_key_fields?: Record<string, string>
  /** Informational for consumers: the topics that make up the stream. */
  topics?: string[]
  topic_prefixes?: string[]
  /** Per-stream limits (Sluice): bytes of one serialized event, events per request, events/s per gateway instance. */
  max_event_bytes?: number
  max_events_per_request?: number
  rate_limit?: { events_per_second: number, burst: number }
  /** Idempotent intake (Sluice): an event whose client-sent meta.id was accepted within this window is not produced again. */
  dedupe_window_ms?: number
  /** Record batch compression of the stream's events (Sluice); the gateway's `kafka.compression` when absent. */
  compression?: CompressionCodec
  [setting: string]: unknown
}

export const streamSettingsSchema = {
  type: 'object',
  required: ['schema_title'],
  properties: {
    schema_title: { type: 'string', minLength: 1 },
    message_key_fields: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, minProperties: 1 },
    topics: { type: 'array', items: { type: 'string', minLength: 1 } },
    topic_prefixes: { type: 'array', items: { type: 'string' } },
    max_event_bytes: { type: 'integer', minimum: 1 },
    max_events_per_request: { type: 'integer', minimum: 1 },
    dedupe_window_ms: { type: 'integer', minimum: 1, maximum: 604800000 },
    compression: { enum: compressionCodecs },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      required: ['events_per_second', 'burst'],
      properties: {
        events_per_second: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'integer', minimum: 1 }
      }
    }
  }
} as const

/**
 * Entries with a `schema_title` are checked in full. Entries without settings or without a
 * `schema_title` pass here: EventGate serves every other stream and refuses only the events of
 * such a stream, so one incomplete entry in EventStreamConfig cannot stop intake or reloads.
 */
export const streamConfigSchema = {
  type: 'object',
  propertyNames: { minLength: 1, maxLength: 512 },
  additionalProperties: {
    if: { type: 'object', required: ['schema_title'], properties: { schema_title: { type: 'string', minLength: 1 } } },
    then: streamSettingsSchema
  }
} as const

/** Why a declared stream accepts no events: EventGate's two cases. */
export type StreamConfigProblem = 'no_settings' | 'no_schema_title'

/** `null`, `{}` and `[]` (PHP's empty array, as EventStreamConfig answers it) are no settings. */
export function settingsProblem (settings: unknown): StreamConfigProblem | undefined {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings) || Object.keys(settings).length === 0) return 'no_settings'
  const title = (settings as Record<string, unknown>).schema_title
  return typeof title === 'string' && title !== '' ? undefined : 'no_schema_title'
}
