import { Registry, collectDefaultMetrics } from 'prom-client'

export type { Registry }

/**
 * A fresh, non-global prom-client registry with the process metrics.
 * Each area defines its own metrics on it (`src/metrics/<area>.ts`).
 */
export function createMetricsRegistry (labels: Record<string, string> = {}): Registry {
  const registry = new Registry()
  registry.setDefaultLabels(labels)
  collectDefaultMetrics({ register: registry })
  return registry
}
