/**
 * The config keys of a service's consumer-group members (inside its `kafka` section), with the
 * one set of defaults the services and the consumer itself use.
 *
 * Session and heartbeat were measured, not inherited: a member killed without leaving is
 * replaced after the session timeout, 28 s with Kafka's 30 s default and 10 s with 10 s; 6 s (the
 * broker's minimum) leaves no room for a stalled event loop or a garbage-collection pause.
 */
export const consumerConfigSchema = {
  session_timeout_ms: { type: 'integer', minimum: 1000, default: 10000 },
  heartbeat_interval_ms: { type: 'integer', minimum: 100, default: 1000 },
  progress_interval_ms: { type: 'integer', minimum: 0, default: 10000 },
  commit_interval_ms: { type: 'integer', minimum: 0, default: 500 },
  /**
   * Bytes one fetch asks for (per partition and in all; a larger first record still comes
   * whole). Each consumer group of a service holds up to this much fetched and decoded.
   */
  fetch_max_bytes: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 }
} as const
