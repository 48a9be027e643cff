import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Why records were not acknowledged. A closed set, so it can be a label. */
export type ProduceErrorReason = 'timeout' | 'unavailable' | 'rejected' | 'closed'

export interface KafkaMetrics {
  /** Time from handing a batch to the client until the broker acknowledged or refused it. */
  produceDuration: Histogram<'result'>
  /** Records per produce request. */
  produceBatchRecords: Histogram
  /** Records the broker acknowledged. */
  producedRecords: Counter
  /** Records that were not acknowledged, by reason. */
  produceErrors: Counter<'reason'>
  /** Batches handed to the client and not yet settled. */
  produceBatchesInFlight: Gauge
  /** 1 while connected and the last connect, produce or metadata probe succeeded, else 0 (what /readyz reports). */
  up: Gauge
  /** 1 while the last metadata probe of the cluster got an answer in time, else 0. */
  reachable: Gauge
}

/**
 * Defines the Kafka metrics on `registry`. Calling it again with the same
 * registry returns the same metrics, so several producers of one process
 * (gateway and change propagation in `sluice up`) can share them.
 */
export function createKafkaMetrics (registry: Registry): KafkaMetrics {
  return {
    produceDuration: ensure(registry, 'sluice_kafka_produce_duration_seconds', () => new Histogram({
      name: 'sluice_kafka_produce_duration_seconds',
      help: 'Time from handing a batch to the Kafka client until it was acknowledged (result="ok") or failed (result="error").',
      labelNames: ['result'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry]
    })),
    produceBatchRecords: ensure(registry, 'sluice_kafka_produce_batch_records', () => new Histogram({
      name: 'sluice_kafka_produce_batch_records',
      help: 'Records per Kafka produce batch.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry]
    })),
    producedRecords: ensure(registry, 'sluice_kafka_produced_records_total', () => new Counter({
      name: 'sluice_kafka_produced_records_total',
      help: 'Records acknowledged by Kafka.',
      registers: [registry]
    })),
    produceErrors: ensure(registry, 'sluice_kafka_produce_errors_total', () => new Counter({
      name: 'sluice_kafka_produce_errors_total',
      help: 'Records not acknowledged by Kafka, by reason (timeout, unavailable, rejected, closed).',
      labelNames: ['reason'] as const,
      registers: [registry]
    })),
    produceBatchesInFlight: ensure(registry, 'sluice_kafka_produce_batches_in_flight', () => new Gauge({
      name: 'sluice_kafka_produce_batches_in_flight',
      help: 'Produce batches sent to Kafka and not yet acknowledged.',
      registers: [registry]
    })),
    up: ensure(registry, 'sluice_kafka_up', () => new Gauge({
      name: 'sluice_kafka_up',
      help: '1 while connected to Kafka and the last connect, produce or metadata probe succeeded, 0 otherwise.',
      registers: [registry]
    })),
    reachable: ensure(registry, 'sluice_kafka_reachable', () => new Gauge({
      name: 'sluice_kafka_reachable',
      help: '1 while the last metadata request to the Kafka cluster (sent every kafka.health_check_interval_ms) was answered in time, 0 otherwise.',
      registers: [registry]
    }))
  }
}

function ensure<T> (registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}
