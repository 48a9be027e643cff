import type { Registry } from 'prom-client'
import { createCanaryMetrics } from '../metrics/canary.js'
import type { CanaryResult } from './post.js'
import type { CanaryOutcome, CanaryReport } from './run.js'

const results: readonly CanaryResult[] = ['accepted', 'invalid', 'failed']

/** Whether every canary of the run was accepted. */
export function runSucceeded (report: CanaryReport | undefined): boolean {
  return report !== undefined && report.outcomes.every((outcome) => outcome.result === 'accepted')
}

/**
 * The run's metrics on `registry`. Without a report (the run failed before posting) only the
 * run's time and duration are set, so a pushed group keeps the last per-stream results; the last
 * success time is left out unless every canary was accepted, so a pushed group keeps the previous one.
 */
export function recordRun (registry: Registry, report: CanaryReport | undefined, endedAt: Date, durationMs: number): void {
  const metrics = createCanaryMetrics(registry)
  metrics.lastRun.set(endedAt.getTime() / 1000)
  metrics.duration.set(durationMs / 1000)
  if (report === undefined) {
    registry.removeSingleMetric('sluice_canary_events')
  } else {
    const counts = new Map<string, Map<CanaryResult, number>>()
    for (const outcome of report.outcomes) {
      const key = JSON.stringify([outcome.datacenter, outcome.stream])
      const byResult = counts.get(key) ?? new Map<CanaryResult, number>()
      byResult.set(outcome.result, (byResult.get(outcome.result) ?? 0) + 1)
      counts.set(key, byResult)
    }
    for (const [key, byResult] of counts) {
      const [datacenter, stream] = JSON.parse(key) as [string, string]
      for (const result of results) metrics.events.set({ datacenter, stream, result }, byResult.get(result) ?? 0)
    }
  }
  if (runSucceeded(report)) metrics.lastSuccess.set(endedAt.getTime() / 1000)
  else registry.removeSingleMetric('sluice_canary_last_success_timestamp_seconds')
}

/** One line per outcome, then a summary, as `sluice canary` prints them. */
export function formatReport (report: CanaryReport): string {
  const lines = report.outcomes.map(formatOutcome)
  const accepted = report.outcomes.filter((o) => o.result === 'accepted').length
  const datacenters = new Set(report.outcomes.map((o) => o.datacenter)).size
  lines.push(`${accepted} of ${report.outcomes.length} canary events accepted (${report.streams.length} streams, ${datacenters} datacenters)`)
  return `${lines.join('\n')}\n`
}

function formatOutcome (outcome: CanaryOutcome): string {
  const where = outcome.url === undefined ? '' : ` ${outcome.url}`
  const why = outcome.result === 'accepted' ? '' : ` ${outcome.code ?? ''}${outcome.message === undefined ? '' : ` ${outcome.message}`}`
  return `${outcome.datacenter} ${outcome.stream} ${outcome.result}${where}${why}`.trimEnd()
}
