import { Gauge } from 'prom-client'
import type { Registry } from 'prom-client'

/**
 * What one `sluice canary` run reports: gauges of the last run, pushed to a Pushgateway (a batch
 * job has nothing to scrape). `datacenter` is the datacenter posted to, so the Pushgateway must be
 * scraped with `honor_labels: true`.
 */
export interface CanaryMetrics {
  /** The last run's canary events by datacenter, stream and result (accepted, invalid, failed). */
  events: Gauge<'datacenter' | 'stream' | 'result'>
  lastRun: Gauge
  /** Set only by a run whose every canary was accepted: pushed, it keeps the last such run's time. */
  lastSuccess: Gauge
  duration: Gauge
}

export function createCanaryMetrics (registry: Registry): CanaryMetrics {
  const registers = [registry]
  return {
    events: new Gauge({
      name: 'sluice_canary_events',
      help: 'Canary events of the last sluice canary run, by the datacenter posted to, stream and result (accepted; invalid: the canary could not be built from the schema\'s examples or did not validate; failed: anything else).',
      labelNames: ['datacenter', 'stream', 'result'] as const,
      registers
    }),
    lastRun: new Gauge({ name: 'sluice_canary_last_run_timestamp_seconds', help: 'When the last sluice canary run ended, in seconds since the epoch.', registers }),
    lastSuccess: new Gauge({ name: 'sluice_canary_last_success_timestamp_seconds', help: 'When the last sluice canary run whose every canary event was accepted ended, in seconds since the epoch.', registers }),
    duration: new Gauge({ name: 'sluice_canary_run_duration_seconds', help: 'How long the last sluice canary run took.', registers })
  }
}
