import { randomUUID } from 'node:crypto'
import type { ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { ChangepropMetrics } from '../metrics/changeprop.js'
import type { Attempt, RunnerDeps } from './attempt.js'
import { hopOf, streamOfEvent } from './chain.js'
import { isChangeEvent } from './decode.js'
import { TemplateRenderError } from './errors.js'
import { renderRequest } from './exec.js'
import { chained, loopFree, send } from './exec-events.js'
import { runModuleStep } from './exec-module.js'
import type { StepResult } from './outcome.js'
import type { CompiledRequest, CompiledRule } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'
import { namingOf, topicOf } from '../stream-config/index.js'
import type { TopicNaming } from '../stream-config/index.js'
import { childOf, traceHeaders } from '../trace-context.js'

/** Runs one exec step of a rule: an HTTP request, events produced to Kafka, or an in-process module. */
export type StepRunner = (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal) => Promise<StepResult>

/** What the exec steps of one rule share, made once per rule. */
export interface StepScope {
  rule: CompiledRule
  deps: RunnerDeps
  log: Logger
  metrics: ChangepropMetrics
  now: () => number
  newId: () => string
  /** How this datacenter names the topics of the events the steps produce. */
  naming: TopicNaming
  originOverride: URL | undefined
  defaultHeaders: Record<string, string>
}

/** The step runner of `rule`: an HTTP request (exec.ts), a `queue` step's events, or a module (exec-module.ts). */
export function createStepRunner (rule: CompiledRule, deps: RunnerDeps, log: Logger): StepRunner {
  const scope: StepScope = {
    rule,
    deps,
    log,
    metrics: deps.metrics,
    now: deps.now ?? Date.now,
    newId: deps.newId ?? randomUUID,
    naming: namingOf(deps.topicPrefix, deps.legacyTopicsHome),
    originOverride: deps.originOverride === undefined ? undefined : new URL(deps.originOverride),
    defaultHeaders: { 'user-agent': deps.userAgent }
  }
  return async (step, context, attempt, signal) => {
    switch (step.module) {
      case 'http': return runRequestStep(scope, step, context, attempt, signal)
      case 'queue': return runQueueStep(scope, step, context, attempt, signal)
      default: return runModuleStep(scope, step, context, attempt, signal)
    }
  }
}

async function runRequestStep (scope: StepScope, step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
  let rendered
  try {
    rendered = renderRequest(step, context, { defaultHeaders: scope.defaultHeaders, forcedHeaders: forcedHeadersOf(attempt), originOverride: scope.originOverride })
  } catch (err) {
    if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
    throw err
  }
  return scope.deps.http.execute(rendered, signal)
}

/** A `queue` step: the rendered body, one event or a list, produced in one send. */
async function runQueueStep (scope: StepScope, step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
  const body = renderBody(step, context)
  if (!body.ok) return body.result
  const records: ProduceRecord[] = []
  for (const [index, item] of (Array.isArray(body.value) ? body.value : [body.value]).entries()) {
    const stream = isChangeEvent(item) ? streamOfEvent(item) : undefined
    if (!isChangeEvent(item) || stream === undefined) {
      return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}/body: event ${index} has no meta.stream`) }
    }
    const event = chained(scope, structuredClone(item), attempt)
    if (!loopFree(scope, attempt.chain, hopOf(event, stream))) continue
    records.push({ topic: topicOf(stream, scope.naming), key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(attempt.trace)) })
  }
  return send(scope, records, signal)
}

/** Headers the engine owns on every request a rule makes, each a new span of the event's trace. */
export function forcedHeadersOf (attempt: Attempt): Record<string, string> {
  const forcedHeaders = traceHeaders(childOf(attempt.trace))
  forcedHeaders['x-triggered-by'] = attempt.chain
  const requestId = attempt.event.meta.request_id
  if (typeof requestId === 'string') forcedHeaders['x-request-id'] = requestId
  return forcedHeaders
}

export function renderBody (step: CompiledRequest, context: TemplateContext): { ok: true, value: unknown } | { ok: false, result: StepResult } {
  try {
    return { ok: true, value: step.body?.(context) }
  } catch (err) {
    if (err instanceof TemplateRenderError) return { ok: false, result: { kind: 'render-failed', error: err } }
    throw err
  }
}
