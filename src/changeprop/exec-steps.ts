import { randomUUID } from 'node:crypto'
import { KafkaProduceError } from '../kafka/index.js'
import type { ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { Attempt, RunnerDeps } from './attempt.js'
import { assertNoLoop, hopOf } from './chain.js'
import type { ChangeEvent } from './decode.js'
import { isChangeEvent } from './decode.js'
import { LoopDetectedError, ProduceRefusedError, TemplateRenderError } from './errors.js'
import { renderRequest } from './exec.js'
import type { StepResult } from './outcome.js'
import type { CompiledRequest, CompiledRule } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'
import { namingOf, topicOf } from '../stream-config/index.js'
import { childOf, traceHeaders } from '../trace-context.js'

/** Runs one exec step of a rule: an HTTP request, or events produced to Kafka. */
export type StepRunner = (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal) => Promise<StepResult>

export function createStepRunner (rule: CompiledRule, deps: RunnerDeps, log: Logger): StepRunner {
  const now = deps.now ?? Date.now
  const newId = deps.newId ?? randomUUID
  const { metrics } = deps
  const originOverride = deps.originOverride === undefined ? undefined : new URL(deps.originOverride)
  const defaultHeaders = { 'user-agent': deps.userAgent }

  async function request (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
    let rendered
    try {
      // Each request a rule makes is a new span of the event's trace.
      const forcedHeaders = traceHeaders(childOf(attempt.trace))
      forcedHeaders['x-triggered-by'] = attempt.chain
      const requestId = attempt.event.meta.request_id
      if (typeof requestId === 'string') forcedHeaders['x-request-id'] = requestId
      rendered = renderRequest(step, context, { defaultHeaders, forcedHeaders, originOverride })
    } catch (err) {
      if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
      throw err
    }
    return deps.http.execute(rendered, signal)
  }

  async function produce (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
    let body: unknown
    try {
      body = step.body?.(context)
    } catch (err) {
      if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
      throw err
    }
    const records: ProduceRecord[] = []
    for (const [index, item] of (Array.isArray(body) ? body : [body]).entries()) {
      if (!isChangeEvent(item) || typeof item.meta.stream !== 'string' || item.meta.stream === '') {
        return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}/body: event ${index} has no meta.stream`) }
      }
      const event = chained(structuredClone(item), attempt)
      try {
        assertNoLoop(attempt.chain, hopOf(event, event.meta.stream as string), deps.maxChainLength)
      } catch (err) {
        if (!(err instanceof LoopDetectedError)) throw err
        metrics.loopsPrevented.inc({ rule: rule.name })
        log.warn({ err, chain: attempt.chain }, 'not producing an event that would loop')
        continue
      }
      records.push({ topic: topicOf(event.meta.stream as string, namingOf(deps.topicPrefix, deps.legacyTopicsHome)), key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(attempt.trace)) })
    }
    if (records.length === 0) return { kind: 'produced', count: 0 }
    try {
      await deps.producer.send(records)
    } catch (err) {
      if (signal.aborted) throw err
      if (err instanceof KafkaProduceError) {
        metrics.produceRefused.inc({ rule: rule.name, kind: 'exec', outcome: 'error_event' })
        return { kind: 'produce-refused', error: new ProduceRefusedError('exec', err.kafkaError, { cause: err }) }
      }
      return { kind: 'produce-failed', error: err instanceof Error ? err : new Error(String(err)) }
    }
    metrics.produced.inc({ rule: rule.name, kind: 'exec' }, records.length)
    return { kind: 'produced', count: records.length }
  }

  /** An event a rule produces, with its id, time, request id, chain and root event filled in. */
  function chained (event: ChangeEvent, attempt: Attempt): ChangeEvent {
    const source = attempt.event.meta
    event.meta.id ??= newId()
    event.meta.dt ??= new Date(now()).toISOString()
    if (event.meta.request_id === undefined && typeof source.request_id === 'string') event.meta.request_id = source.request_id
    event.triggered_by = attempt.chain
    if (event.root_event === undefined && typeof source.dt === 'string') {
      const root = attempt.event.root_event
      event.root_event = root !== undefined && root !== null && typeof root === 'object'
        ? root
        : { signature: typeof source.uri === 'string' ? source.uri : hopOf(attempt.event, attempt.topic), dt: source.dt }
    }
    return event
  }

  return async (step, context, attempt, signal) => step.produce ? produce(step, context, attempt, signal) : request(step, context, attempt, signal)
}
