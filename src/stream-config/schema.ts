import { compressionCodecs } from '../kafka/index.js'
import type { CompressionCodec } from '../kafka/index.js'

/**
 * Settings of one stream, as Wikimedia's EventStreamConfig declares them (MediaWiki's
 * `action=streamconfigs&all_settings=true` answer, or Sluice's own YAML). Every setting is
 * accepted and served as it is; the typed ones are those some part of Sluice acts on:
 *
 * | setting | used by |
 * |---|---|
 * | `schema_title` | gateway: the only schema allowed in the stream; stream service: listed |
 * | `message_key_fields` | gateway: the Kafka message key |
 * | `topic_prefixes`, `topics` | stream service: the topics it reads (`null` prefixes: the bare name) |
 * | `destination_event_service` | gateway with `event_service_name`: streams of other services are not configured here |
 * | `canary_events_enabled` | canary producers (which streams get canary events) |
 * | `max_event_bytes`, `max_events_per_request`, `rate_limit`, `dedupe_window_ms` | gateway (Sluice's per-stream limits) |
 * | `meta_dt_policy`, `max_timestamp_skew_ms` | gateway (Sluice): `meta.dt` and the record timestamp |
 * | `compression` | gateway (Sluice): the codec of the stream's record batches |
 *
 * `stream` (EventStreamConfig repeats the key), `sample`, `producers` and `consumers` are for
 * clients, MediaWiki and ingestion jobs: accepted, typed loosely, served unchanged.
 */
export interface StreamSettings {
  schema_title: string
  /** Kafka message key: key name → dotted path into the event. */
  message_key_fields?: Record<string, string>
  /** The topics that make up the stream (EventStreamConfig always answers them, computed from the prefixes). */
  topics?: string[]
  /** Datacenter prefixes of the stream's topics; `null`: none, the topic is the stream name (legacy EventLogging streams). */
  topic_prefixes?: string[] | null
  /** The EventGate service the stream is produced through (`eventgate-main`, `eventgate-analytics-external`, ...). */
  destination_event_service?: string
  /** Whether canary events are produced into the stream (Wikimedia's default: true). */
  canary_events_enabled?: boolean
  /** The stream name or `/regex/` of the entry, as EventStreamConfig repeats it. */
  stream?: string
  /** Client-side sampling: `{rate: 0..1, unit: session|pageview|device}`. */
  sample?: Record<string, unknown>
  /** Per-producer settings (`eventgate`, `mediawiki_eventbus`, `metrics_platform_client`, ...). */
  producers?: Record<string, Record<string, unknown>>
  /** Per-consumer settings (`analytics_hadoop_ingestion`, `analytics_hive_ingestion`, ...). */
  consumers?: Record<string, Record<string, unknown>>
  /** Per-stream limits (Sluice): bytes of one serialized event, events per request, events/s per gateway instance. */
  max_event_bytes?: number
  max_events_per_request?: number
  rate_limit?: { events_per_second: number, burst: number }
  /** Idempotent intake (Sluice): an event whose client-sent meta.id was accepted within this window is not produced again. */
  dedupe_window_ms?: number
  /** Gateway timestamps (Sluice): what becomes of a client's `meta.dt`, and how far the record timestamp may be from the intake time. */
  meta_dt_policy?: 'keep' | 'fill' | 'intake'
  max_timestamp_skew_ms?: number
  /** Record batch compression of the stream's events (Sluice); the gateway's `kafka.compression` when absent. */
  compression?: CompressionCodec
  [setting: string]: unknown
}

/** A map of settings (PHP's empty array `[]` is normalized to `{}` before validation). */
const settingsMap = { type: 'object' } as const

export const streamSettingsSchema = {
  type: 'object',
  required: ['schema_title'],
  properties: {
    schema_title: { type: 'string', minLength: 1 },
    message_key_fields: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, minProperties: 1 },
    topics: { type: 'array', items: { type: 'string', minLength: 1 } },
    topic_prefixes: { type: ['array', 'null'], items: { type: 'string' } },
    destination_event_service: { type: 'string' },
    canary_events_enabled: { type: 'boolean' },
    stream: { type: 'string', minLength: 1 },
    sample: settingsMap,
    producers: { type: 'object', additionalProperties: settingsMap },
    consumers: { type: 'object', additionalProperties: settingsMap },
    max_event_bytes: { type: 'integer', minimum: 1 },
    max_events_per_request: { type: 'integer', minimum: 1 },
    dedupe_window_ms: { type: 'integer', minimum: 1, maximum: 604800000 },
    meta_dt_policy: { enum: ['keep', 'fill', 'intake'] },
    max_timestamp_skew_ms: { type: 'integer', minimum: 0 },
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

/**
 * Settings that are maps, where PHP serializes an empty one as `[]`: within an entry, then within
 * `producers` and `consumers`, then `producers.eventgate`'s header map.
 */
const mapSettings = ['message_key_fields', 'sample', 'producers', 'consumers'] as const

/**
 * The entry with PHP's empty arrays read as the empty maps they are (EventStreamConfig answered
 * `[]` for `{}` before T259917), and an empty `message_key_fields` as none. The rest is kept as it is.
 */
export function normalizeSettings (settings: unknown): unknown {
  if (Array.isArray(settings) && settings.length === 0) return {}
  if (!isMap(settings)) return settings
  const out: Record<string, unknown> = { ...settings }
  for (const key of mapSettings) {
    if (isEmptyList(out[key])) out[key] = {}
  }
  for (const key of ['producers', 'consumers'] as const) {
    const group = out[key]
    if (!isMap(group)) continue
    const entries: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(group)) entries[name] = isEmptyList(value) ? {} : value
    out[key] = entries
  }
  const eventgate = (out.producers as Record<string, unknown> | undefined)?.eventgate
  if (isMap(eventgate) && isEmptyList(eventgate.enrich_fields_from_http_headers)) {
    (out.producers as Record<string, unknown>).eventgate = { ...eventgate, enrich_fields_from_http_headers: {} }
  }
  if (isMap(out.message_key_fields) && Object.keys(out.message_key_fields).length === 0) delete out.message_key_fields
  return out
}

function isMap (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isEmptyList (value: unknown): boolean {
  return Array.isArray(value) && value.length === 0
}

/** `null`, `{}` and `[]` (PHP's empty array, as EventStreamConfig answers it) are no settings. */
export function settingsProblem (settings: unknown): StreamConfigProblem | undefined {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings) || Object.keys(settings).length === 0) return 'no_settings'
  const title = (settings as Record<string, unknown>).schema_title
  return typeof title === 'string' && title !== '' ? undefined : 'no_schema_title'
}
