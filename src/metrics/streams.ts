import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Why a stream request was answered without a stream. */
export type RejectReason = 'missing_client_ip' | 'ip_limit' | 'not_found' | 'bad_request' | 'unavailable' | 'capacity'

/** Why an open stream ended (kafka_unavailable: accepted while Kafka did not answer, and it did not within the wait). */
export type DisconnectReason = 'client' | 'lifetime' | 'slow_client' | 'error' | 'shutdown' | 'kafka_unavailable'

export interface StreamsMetrics {
  /** EventStreams' names, so its dashboards keep working. */
  connectedClients: Gauge<'stream'>
  connections: Counter<'streams'>
  deliveries: Counter<'stream'>
  filtered: Counter<'stream'>
  skipped: Counter<'topic'>
  rejected: Counter<'reason'>
  disconnects: Counter<'reason'>
  deliveryDelay: Histogram<'stream'>
  tailLoops: Gauge
  catchUpReaders: Gauge
  ipLimitStoreErrors: Counter
}

/**
 * Defines the stream service's metrics on `registry`. Labels are closed sets: stream and topic
 * names come from the stream config; a request naming an unknown stream is refused before any
 * label is touched.
 */
export function createStreamsMetrics (registry: Registry): StreamsMetrics {
  const registers = [registry]
  return {
    connectedClients: new Gauge({ name: 'eventstreams_connected_clients', help: 'Open streams, per requested stream (a request for a,b counts under both).', labelNames: ['stream'], registers }),
    connections: new Counter({ name: 'eventstreams_client_connections_total', help: 'Streams opened, by the sorted comma-joined list of requested streams.', labelNames: ['streams'], registers }),
    deliveries: new Counter({ name: 'sluice_streams_deliveries_total', help: 'Events written to clients, per stream.', labelNames: ['stream'], registers }),
    filtered: new Counter({ name: 'sluice_streams_filtered_total', help: 'Events a client\'s filter or canary=exclude left out (they still advance its id).', labelNames: ['stream'], registers }),
    skipped: new Counter({ name: 'sluice_streams_skipped_records_total', help: 'Kafka records that are not JSON objects and were skipped, per topic.', labelNames: ['topic'], registers }),
    rejected: new Counter({ name: 'sluice_streams_rejected_requests_total', help: 'Stream requests answered with an error before streaming, by reason.', labelNames: ['reason'], registers }),
    disconnects: new Counter({ name: 'sluice_streams_disconnects_total', help: 'Streams that ended, by reason (slow_client: over max_client_buffer_bytes).', labelNames: ['reason'], registers }),
    deliveryDelay: new Histogram({
      name: 'sluice_streams_delivery_delay_seconds',
      help: 'From the Kafka record timestamp to the write to the client, for live (tail) events.',
      labelNames: ['stream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers
    }),
    tailLoops: new Gauge({ name: 'sluice_streams_tail_loops', help: 'Shared tail fetch loops (one per topic-partition with live clients).', registers }),
    catchUpReaders: new Gauge({ name: 'sluice_streams_catch_up_readers', help: 'Clients reading history on their own reader before joining the tail.', registers }),
    ipLimitStoreErrors: new Counter({ name: 'sluice_streams_ip_limit_store_errors_total', help: 'Redis errors of the per-IP limit; the limit falls back to this process\'s count.', registers })
  }
}
