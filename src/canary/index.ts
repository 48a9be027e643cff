/**
 * Canary events: `sluice canary` posts one event to every stream with `canary_events_enabled`,
 * in every datacenter, so that "no events" alerts can tell an idle stream from a broken pipeline.
 * This file is the only way in.
 */
export { canaryDomain, isCanaryEvent, buildCanaryEvent } from './event.js'
export { canaryConfigSchema, loadCanaryConfig } from './config.js'
export type { CanaryConfig } from './config.js'
export { planCanaries, postPlan, canaryStreams } from './run.js'
export type { CanaryOutcome, CanaryPlan, CanaryPost, CanaryReport, CanaryRunDeps } from './run.js'
export type { CanaryResult } from './post.js'
export { recordRun, formatReport, runSucceeded } from './report.js'
export { pushMetrics } from './pushgateway.js'
export * from './errors.js'
