import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

export interface GatewayMetrics {
  /**
   * Per event: `outcome` is accepted | duplicate (idempotent intake) | invalid | error | validated (`?validate_only=true`); `stream` is the stream-config key,
   * `_unknown` or `_any`; `reason` (errors only) says why, see pipeline/failure-reason.ts.
   */
  events: Counter<'stream' | 'outcome' | 'reason'>
  requestDuration: Histogram<'route' | 'method' | 'status_code'>
  /** POST /v1/events answers with a 5xx status whose every failure was the client's (see failure-reason.ts). */
  clientCausedErrors: Counter
  requestEvents: Histogram
  errorEvents: Counter<'result'>
  backgroundTasks: Gauge
  hastyWaiting: Gauge
  streamConfigReloads: Counter<'result'>
  dedupeStoreErrors: Counter
  /** Records whose timestamp was moved to within max_timestamp_skew_ms of the intake time; `direction` past | future. */
  timestampsClamped: Counter<'stream' | 'direction'>
  /** Canary events (meta.domain canary) accepted, by stream; also counted in `events`. */
  canaryEvents: Counter<'stream'>
  /** EventLogging beacons (`/beacon/event`), by outcome: accepted | invalid | error | malformed | too_large. */
  beacons: Counter<'outcome'>
}

export function createGatewayMetrics (registry: Registry): GatewayMetrics {
  const registers = [registry]
  return {
    events: new Counter({
      name: 'sluice_gateway_events_total',
      help: 'Events received by POST /v1/events, by stream and outcome (accepted, duplicate for a meta.id accepted within the stream\'s dedupe_window_ms, invalid, error, and validated for ?validate_only=true); errors also by reason (schema_not_found, stream_not_configured, kafka_unavailable, too_large, ...).',
      labelNames: ['stream', 'outcome', 'reason'] as const,
      registers
    }),
    requestDuration: new Histogram({
      name: 'sluice_gateway_http_request_duration_seconds',
      help: 'HTTP request duration until the response was sent, by route, method and status code.',
      labelNames: ['route', 'method', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    }),
    clientCausedErrors: new Counter({
      name: 'sluice_gateway_client_caused_errors_total',
      help: 'POST /v1/events answers with a 5xx status whose every failure was the client\'s (EventGate answers 500 for an unknown schema or an undeclared stream); the SluiceGatewayServerErrors alert leaves them out.',
      registers
    }),
    requestEvents: new Histogram({
      name: 'sluice_gateway_request_events',
      help: 'Number of events per POST /v1/events request.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 1000, 10000],
      registers
    }),
    errorEvents: new Counter({
      name: 'sluice_gateway_error_events_total',
      help: 'Error events built from invalid events, by result (produced, failed).',
      labelNames: ['result'] as const,
      registers
    }),
    backgroundTasks: new Gauge({
      name: 'sluice_gateway_background_tasks',
      help: 'Hasty requests and error-event batches still being processed after their response.',
      registers
    }),
    hastyWaiting: new Gauge({
      name: 'sluice_gateway_hasty_waiting_requests',
      help: 'Hasty requests whose answer waits because hasty_max_pending_events events are already waiting for Kafka.',
      registers
    }),
    streamConfigReloads: new Counter({
      name: 'sluice_gateway_stream_config_reloads_total',
      help: 'Reloads of a remote stream config, by result (ok, failed).',
      labelNames: ['result'] as const,
      registers
    }),
    dedupeStoreErrors: new Counter({
      name: 'sluice_gateway_dedupe_store_errors_total',
      help: 'Failures of the idempotent-intake store (Redis); the event was produced anyway.',
      registers
    }),
    timestampsClamped: new Counter({
      name: 'sluice_gateway_record_timestamps_clamped_total',
      help: 'Accepted events whose time (dt_field) was further than max_timestamp_skew_ms from the intake time: their record timestamp was clamped, by stream and direction (past, future).',
      labelNames: ['stream', 'direction'] as const,
      registers
    }),
    canaryEvents: new Counter({
      name: 'sluice_gateway_canary_events_total',
      help: 'Canary events (meta.domain "canary", posted by sluice canary) accepted, by stream; they are also counted in sluice_gateway_events_total. Each stream with canary_events_enabled starts at 0 when the stream config loads.',
      labelNames: ['stream'] as const,
      registers
    }),
    beacons: new Counter({
      name: 'sluice_gateway_beacons_total',
      help: 'EventLogging beacons received at /beacon/event (always answered 204), by outcome: accepted, invalid (an error event was produced), error, malformed (not a capsule) or too_large.',
      labelNames: ['outcome'] as const,
      registers
    })
  }
}

/**
 * Starts the canary count of every stream with `canary_events_enabled: true` at 0, so a pod's first
 * canary shows as an increase (a series first seen at 1 does not) and the canary alerts see it.
 * A `/regex/` entry names no stream a canary is posted to.
 */
export function startCanaryCounts (metrics: GatewayMetrics, streams: Readonly<Record<string, unknown>>): void {
  for (const [stream, settings] of Object.entries(streams)) {
    if (stream.length > 2 && stream.startsWith('/') && stream.endsWith('/')) continue
    if (settings !== null && typeof settings === 'object' && (settings as Record<string, unknown>).canary_events_enabled === true) {
      metrics.canaryEvents.inc({ stream }, 0)
    }
  }
}
