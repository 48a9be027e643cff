import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** `main`: the rule's topics; `retry`: its retry topics; `delay`: its delay topics (read by the retry consumer). */
export type ChangepropSource = 'main' | 'retry' | 'delay'

/**
 * What happened to a consumed message before any exec step ran, or instead of it.
 * `matched` messages go on to exec; the others are finished right away.
 */
export type EventResult = 'matched' | 'unmatched' | 'sampled_out' | 'duplicate' | 'rate_limited' | 'blacklisted' | 'malformed' | 'foreign' | 'delayed' | 'requeued'

/** Why an event ended in the error topic. */
export type ErrorReason = 'status' | 'exhausted' | 'template' | 'malformed' | 'refused'

/** What Kafka refused for good: a retry event, an error event, or the events of an exec step. */
export type RefusedKind = 'retry' | 'error' | 'exec' | 'delay'

export type ProducedKind = 'retry' | 'error' | 'exec' | 'delay'

export interface ChangepropMetrics {
  events: Counter<'rule' | 'source' | 'result'>
  execDuration: Histogram<'rule' | 'status_class'>
  /** Events whose exec steps all succeeded (or were ignored). */
  succeeded: Counter<'rule' | 'source'>
  retries: Counter<'rule'>
  errors: Counter<'rule' | 'reason'>
  produced: Counter<'rule' | 'kind'>
  loopsPrevented: Counter<'rule'>
  inFlight: Gauge<'rule' | 'source'>
  commitLag: Gauge<'rule' | 'source' | 'topic' | 'partition'>
  oldestUnfinished: Gauge<'rule' | 'source' | 'topic' | 'partition'>
  delay: Histogram<'rule' | 'source'>
  stateStoreErrors: Counter<'store'>
  produceRefused: Counter<'rule' | 'kind' | 'outcome'>
  /** MediaWiki Action API calls of the `/sys/links/` modules, by outcome. */
  apiRequests: Counter<'rule' | 'module' | 'outcome'>
  /** Dependants (resource_change events) the `/sys/links/` modules produced. */
  dependants: Counter<'rule' | 'module'>
  /** Continuation events produced (one per API page that had a next page). */
  continuations: Counter<'rule' | 'module'>
  /** How many continuations deep each fetched page was (0: the first page). */
  continuationDepth: Histogram<'rule' | 'module'>
  /** URIs purged by `/sys/purge/`, by target: `stream` (purge events) or `htcp`. */
  purges: Counter<'rule' | 'target'>
  /** Events `/sys/partition/` re-produced, by partition. */
  partitioned: Counter<'rule' | 'partition'>
  /** Seconds executions waited for the rule's rate limit or back-off before they started. */
  throttled: Counter<'rule' | 'reason'>
  /** The rule's back-off: the wait between executions while its target keeps failing; 0 when it answers. */
  backoffDelay: Gauge<'rule'>
  /** Times a rule started to back off. */
  backoffs: Counter<'rule'>
  /** The rule's `rate_limit` (executions per second), for dashboards to show next to the rate it runs at. */
  rateLimit: Gauge<'rule'>
  /** Waits a target asked for with Retry-After (cut to the rule's `retry_after.max_delay`). */
  retryAfter: Histogram<'rule'>
  /** Retries and delayed events held in memory waiting for their time. */
  waiting: Gauge<'rule' | 'source'>
}

/**
 * Defines the change-propagation metrics on `registry`. Labels are closed sets: rule
 * and topic names come from the configuration, never from event content.
 */
export function createChangepropMetrics (registry: Registry): ChangepropMetrics {
  return {
    events: ensure(registry, 'sluice_changeprop_events_total', () => new Counter({
      name: 'sluice_changeprop_events_total',
      help: 'Messages consumed per rule and source (main, retry), by result: matched, unmatched, sampled_out, duplicate, rate_limited, blacklisted, malformed, foreign (a retry of another rule).',
      labelNames: ['rule', 'source', 'result'] as const,
      registers: [registry]
    })),
    execDuration: ensure(registry, 'sluice_changeprop_exec_duration_seconds', () => new Histogram({
      name: 'sluice_changeprop_exec_duration_seconds',
      help: 'Duration of one exec step, by status class (1xx..5xx, network, timeout, produce, template).',
      labelNames: ['rule', 'status_class'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry]
    })),
    succeeded: ensure(registry, 'sluice_changeprop_succeeded_total', () => new Counter({
      name: 'sluice_changeprop_succeeded_total',
      help: 'Events whose exec steps all succeeded or were ignored.',
      labelNames: ['rule', 'source'] as const,
      registers: [registry]
    })),
    retries: ensure(registry, 'sluice_changeprop_retries_total', () => new Counter({
      name: 'sluice_changeprop_retries_total',
      help: 'Retry events produced.',
      labelNames: ['rule'] as const,
      registers: [registry]
    })),
    errors: ensure(registry, 'sluice_changeprop_errors_total', () => new Counter({
      name: 'sluice_changeprop_errors_total',
      help: 'Events sent to the error topic, by reason: status (not retryable), exhausted (no retry left), template, malformed, refused (Kafka refused the retry or error event for good; a bounded error event was written instead).',
      labelNames: ['rule', 'reason'] as const,
      registers: [registry]
    })),
    produced: ensure(registry, 'sluice_changeprop_produced_events_total', () => new Counter({
      name: 'sluice_changeprop_produced_events_total',
      help: 'Events produced to Kafka, by kind: retry, error, exec (produced by an exec step).',
      labelNames: ['rule', 'kind'] as const,
      registers: [registry]
    })),
    loopsPrevented: ensure(registry, 'sluice_changeprop_loops_prevented_total', () => new Counter({
      name: 'sluice_changeprop_loops_prevented_total',
      help: 'Events an exec step did not produce because they were already in their triggered_by chain, or the chain was too long.',
      labelNames: ['rule'] as const,
      registers: [registry]
    })),
    inFlight: ensure(registry, 'sluice_changeprop_in_flight_events', () => new Gauge({
      name: 'sluice_changeprop_in_flight_events',
      help: 'Messages being handled (including retries waiting for their time).',
      labelNames: ['rule', 'source'] as const,
      registers: [registry]
    })),
    commitLag: ensure(registry, 'sluice_changeprop_commit_lag_messages', () => new Gauge({
      name: 'sluice_changeprop_commit_lag_messages',
      help: 'Messages between the committed position and the log end, per partition (updated every kafka.progress_interval_ms, also while nothing is fetched).',
      labelNames: ['rule', 'source', 'topic', 'partition'] as const,
      registers: [registry]
    })),
    oldestUnfinished: ensure(registry, 'sluice_changeprop_oldest_unfinished_seconds', () => new Gauge({
      name: 'sluice_changeprop_oldest_unfinished_seconds',
      help: 'How long the oldest message of a partition that is still unfinished (holding its commits back) has been running; 0 when none is.',
      labelNames: ['rule', 'source', 'topic', 'partition'] as const,
      registers: [registry]
    })),
    delay: ensure(registry, 'sluice_changeprop_delay_seconds', () => new Histogram({
      name: 'sluice_changeprop_delay_seconds',
      help: 'Time from the event (meta.dt) or, for retries, from the retry\'s due time until its exec started.',
      labelNames: ['rule', 'source'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry]
    })),
    stateStoreErrors: ensure(registry, 'sluice_changeprop_state_store_errors_total', () => new Counter({
      name: 'sluice_changeprop_state_store_errors_total',
      help: 'Failed dedupe or limiter lookups and updates (the event was let through).',
      labelNames: ['store'] as const,
      registers: [registry]
    })),
    produceRefused: ensure(registry, 'sluice_changeprop_produce_refused_total', () => new Counter({
      name: 'sluice_changeprop_produce_refused_total',
      help: 'Events Kafka refused for good (too large, invalid topic, not authorized), by kind (retry, error, exec) and outcome: error_event (an error event was written instead, bounded for retry and error events) or dropped (that was refused too).',
      labelNames: ['rule', 'kind', 'outcome'] as const,
      registers: [registry]
    })),
    apiRequests: ensure(registry, 'sluice_changeprop_mediawiki_api_requests_total', () => new Counter({
      name: 'sluice_changeprop_mediawiki_api_requests_total',
      help: 'MediaWiki Action API calls of the /sys/links/ modules, by module and outcome: ok, http_error, api_error (an error answer, or not JSON), network, timeout.',
      labelNames: ['rule', 'module', 'outcome'] as const,
      registers: [registry]
    })),
    dependants: ensure(registry, 'sluice_changeprop_dependants_total', () => new Counter({
      name: 'sluice_changeprop_dependants_total',
      help: 'Dependants (resource_change events) produced by the /sys/links/ modules.',
      labelNames: ['rule', 'module'] as const,
      registers: [registry]
    })),
    continuations: ensure(registry, 'sluice_changeprop_continuations_total', () => new Counter({
      name: 'sluice_changeprop_continuations_total',
      help: 'Continuation events produced by the /sys/links/ modules (one per page of results that has a next page).',
      labelNames: ['rule', 'module'] as const,
      registers: [registry]
    })),
    continuationDepth: ensure(registry, 'sluice_changeprop_continuation_depth', () => new Histogram({
      name: 'sluice_changeprop_continuation_depth',
      help: 'How many continuations deep each page of dependants fetched by the /sys/links/ modules was (0: the first page).',
      labelNames: ['rule', 'module'] as const,
      buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
      registers: [registry]
    })),
    purges: ensure(registry, 'sluice_changeprop_purges_total', () => new Counter({
      name: 'sluice_changeprop_purges_total',
      help: 'URIs purged by /sys/purge/, by target: stream (resource_change events on the purge stream) or htcp (HTCP CLR datagrams).',
      labelNames: ['rule', 'target'] as const,
      registers: [registry]
    })),
    partitioned: ensure(registry, 'sluice_changeprop_partitioned_total', () => new Counter({
      name: 'sluice_changeprop_partitioned_total',
      help: 'Events /sys/partition/ re-produced to the partition stream, by partition.',
      labelNames: ['rule', 'partition'] as const,
      registers: [registry]
    })),
    throttled: ensure(registry, 'sluice_changeprop_throttled_seconds_total', () => new Counter({
      name: 'sluice_changeprop_throttled_seconds_total',
      help: 'Seconds executions waited before they started, by reason: rate_limit (the rule\'s rate_limit) or backoff (its target kept failing).',
      labelNames: ['rule', 'reason'] as const,
      registers: [registry]
    })),
    backoffDelay: ensure(registry, 'sluice_changeprop_backoff_delay_seconds', () => new Gauge({
      name: 'sluice_changeprop_backoff_delay_seconds',
      help: 'The wait between executions of a rule whose target keeps failing (failure_backoff); 0 while the target answers.',
      labelNames: ['rule'] as const,
      registers: [registry]
    })),
    backoffs: ensure(registry, 'sluice_changeprop_backoffs_total', () => new Counter({
      name: 'sluice_changeprop_backoffs_total',
      help: 'Times a rule started to slow down because its target kept failing.',
      labelNames: ['rule'] as const,
      registers: [registry]
    })),
    rateLimit: ensure(registry, 'sluice_changeprop_rate_limit_per_second', () => new Gauge({
      name: 'sluice_changeprop_rate_limit_per_second',
      help: 'The rule\'s rate_limit: executions per second it starts at most (per process).',
      labelNames: ['rule'] as const,
      registers: [registry]
    })),
    retryAfter: ensure(registry, 'sluice_changeprop_retry_after_seconds', () => new Histogram({
      name: 'sluice_changeprop_retry_after_seconds',
      help: 'Waits targets asked for with Retry-After on a 429 or 503, as honoured (cut to retry_after.max_delay).',
      labelNames: ['rule'] as const,
      buckets: [0, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry]
    })),
    waiting: ensure(registry, 'sluice_changeprop_waiting_events', () => new Gauge({
      name: 'sluice_changeprop_waiting_events',
      help: 'Retries and delayed events held waiting for their time (at most concurrency + max_waiting_events per retry consumer).',
      labelNames: ['rule', 'source'] as const,
      registers: [registry]
    }))
  }
}

function ensure<T> (registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}
