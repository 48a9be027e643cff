import type { HealthReport, ReadinessCheck } from '../service/index.js'
import { failed, notReady } from './consumers/index.js'
import type { RuleConsumers } from './consumers/index.js'

/** Where the service is in its life: started once, then closing once. */
export interface Lifecycle {
  started: boolean
  closing: boolean
}

/** /readyz: whether the service should get traffic now (here: whether its consumers should have partitions). */
export function readinessChecks (lifecycle: Readonly<Lifecycle>, entries: readonly RuleConsumers[], producer: { isReady(): boolean }): ReadinessCheck[] {
  return [
    // Started and not shutting down.
    { name: 'running', ready: () => lifecycle.started && !lifecycle.closing },
    // Every rule's consumers are in their groups; the details name those that are not.
    { name: 'consumers', ready: () => notReady(entries).length === 0, details: () => notReady(entries) },
    // The producer is connected and Kafka answered its last metadata probe.
    { name: 'kafka', ready: () => producer.isReady() }
  ]
}

/** /healthz: whether the process works, or needs a restart. */
export function healthReport (lifecycle: Readonly<Lifecycle>, entries: readonly RuleConsumers[]): HealthReport {
  // A consumer that crashed for good leaves its rule dead; a restart of the process fixes it.
  const consumersFailed = failed(entries)
  return { ok: consumersFailed.length === 0, details: { started: lifecycle.started, closing: lifecycle.closing, consumers_failed: consumersFailed } }
}
