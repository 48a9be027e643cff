import { partitionerNames } from './partitioner.js'

/**
 * The config keys of a service's Kafka producer (inside its `kafka` section), with the one set
 * of defaults every service and the producer itself use. They are the gateway's documented ones:
 * its producer answers EventGate's clients, whose requests time out after 10 s (MediaWiki), so a
 * produce must fail well inside that (5 s). There is no linger by default: records sent in one
 * turn of the event loop go as one batch, and under load records gather behind the batches in
 * flight anyway (measured: 2 ms of linger cost a fifth of the gateway's throughput). The health
 * check keys let readiness follow Kafka without traffic: how often the cluster is asked for
 * metadata while idle, and how long one answer may take. `unavailable_wait_ms` bounds how long a
 * record already sent waits once Kafka is known to be down (the gateway's 503 must come fast).
 */
export const producerConfigSchema = {
  linger_ms: { type: 'integer', minimum: 0, default: 0 },
  max_batch_records: { type: 'integer', minimum: 1, default: 1000 },
  produce_timeout_ms: { type: 'integer', minimum: 1, default: 5000 },
  partitioner: { enum: partitionerNames, default: 'consistent_random' },
  health_check_interval_ms: { type: 'integer', minimum: 100, default: 2000 },
  health_check_timeout_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 2000 },
  unavailable_wait_ms: { type: 'integer', minimum: 0, maximum: 60000, default: 500 }
} as const
