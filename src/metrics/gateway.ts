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
    })
  }
}
