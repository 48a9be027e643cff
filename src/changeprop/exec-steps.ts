import { randomUUID } from 'node:crypto'
import { KafkaProduceError } from '../kafka/index.js'
import type { ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { Attempt, RunnerDeps } from './attempt.js'
import type { ExecModules } from './modules/index.js'
import { assertNoLoop, hopOf, streamOfEvent } from './chain.js'
import type { ChangeEvent } from './decode.js'
import { isChangeEvent } from './decode.js'
import type { ModuleOutcome, ModuleStats } from './modules/module.js'
import type { LinksModule } from './rules/routes.js'
import { titleOfLinksUri } from './rules/routes.js'
import { LoopDetectedError, ProduceRefusedError, TemplateRenderError } from './errors.js'
import { renderRequest } from './exec.js'
import type { StepResult } from './outcome.js'
import type { CompiledRequest, CompiledRule } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'
import { namingOf, topicOf } from '../stream-config/index.js'
import { childOf, traceHeaders } from '../trace-context.js'

/** Runs one exec step of a rule: an HTTP request, events produced to Kafka, or an in-process module. */
export type StepRunner = (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal) => Promise<StepResult>

export function createStepRunner (rule: CompiledRule, deps: RunnerDeps, log: Logger): StepRunner {
  const now = deps.now ?? Date.now
  const newId = deps.newId ?? randomUUID
  const { metrics } = deps
  const originOverride = deps.originOverride === undefined ? undefined : new URL(deps.originOverride)
  const defaultHeaders = { 'user-agent': deps.userAgent }

  /** Headers the engine owns on every request a rule makes, each a new span of the event's trace. */
  function forcedHeadersOf (attempt: Attempt): Record<string, string> {
    const forcedHeaders = traceHeaders(childOf(attempt.trace))
    forcedHeaders['x-triggered-by'] = attempt.chain
    const requestId = attempt.event.meta.request_id
    if (typeof requestId === 'string') forcedHeaders['x-request-id'] = requestId
    return forcedHeaders
  }

  async function request (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
    let rendered
    try {
      rendered = renderRequest(step, context, { defaultHeaders, forcedHeaders: forcedHeadersOf(attempt), originOverride })
    } catch (err) {
      if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
      throw err
    }
    return deps.http.execute(rendered, signal)
  }

  async function produce (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
    const body = renderBody(step, context)
    if (!body.ok) return body.result
    const records: ProduceRecord[] = []
    for (const [index, item] of (Array.isArray(body.value) ? body.value : [body.value]).entries()) {
      const stream = isChangeEvent(item) ? streamOfEvent(item) : undefined
      if (!isChangeEvent(item) || stream === undefined) {
        return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}/body: event ${index} has no meta.stream`) }
      }
      const event = chained(structuredClone(item), attempt)
      if (!loopFree(attempt.chain, hopOf(event, stream))) continue
      records.push({ topic: topicOf(stream, namingOf(deps.topicPrefix, deps.legacyTopicsHome)), key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(attempt.trace)) })
    }
    return send(records, signal)
  }

  /** An in-process module step: its events are produced in one send, or its failure is the step's. */
  async function module (step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
    const modules = deps.modules
    if (modules === undefined) return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}: the ${step.module} module is not available here`) }
    const body = renderBody(step, context)
    if (!body.ok) return body.result
    let outcome: ModuleOutcome
    if (step.module === 'partition') {
      if (modules.partition === undefined) return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}: /sys/partition/ needs partitioner in the configuration`) }
      outcome = modules.partition.partition(body.value)
    } else if (step.module === 'purge') {
      outcome = await modules.purge({ body: body.value, event: attempt.event, chain: attempt.chain })
    } else {
      let uri: unknown
      try {
        uri = step.uri(context)
      } catch (err) {
        if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
        throw err
      }
      const linksModule = step.module as LinksModule
      outcome = await modules.links({
        rule: rule.name,
        module: linksModule,
        title: titleOfLinksUri(linksModule, String(uri)),
        body: body.value,
        chain: attempt.chain,
        topic: attempt.topic,
        defaultHeaders,
        forcedHeaders: forcedHeadersOf(attempt),
        signal
      })
    }
    if (outcome.kind === 'failed') return outcome.result
    const records: ProduceRecord[] = []
    for (const record of outcome.records) {
      const chain = typeof record.event.triggered_by === 'string' ? record.event.triggered_by : attempt.chain
      if (record.continuation !== true && step.module !== 'partition' && !loopFree(chain, hopOf(record.event, record.stream))) continue
      records.push({
        topic: topicOf(record.stream, namingOf(deps.topicPrefix, deps.legacyTopicsHome)),
        key: null,
        value: JSON.stringify(record.event),
        headers: traceHeaders(childOf(attempt.trace)),
        ...(record.partition === undefined ? {} : { partition: record.partition })
      })
    }
    const result = await send(records, signal)
    if (result.kind === 'produced' && outcome.stats !== undefined) countModule(outcome.stats, modules)
    return result
  }

  function countModule (stats: ModuleStats, modules: ExecModules): void {
    const labels = { rule: rule.name, module: stats.module }
    if (stats.dependants !== undefined) metrics.dependants.inc(labels, stats.dependants)
    if (stats.continued === true) metrics.continuations.inc(labels)
    if (stats.depth !== undefined) metrics.continuationDepth.observe(labels, stats.depth)
    if (stats.purges !== undefined) {
      if (modules.purgeStream !== undefined) metrics.purges.inc({ rule: rule.name, target: 'stream' }, stats.purges)
      if (modules.htcp) metrics.purges.inc({ rule: rule.name, target: 'htcp' }, stats.purges)
    }
    if (stats.partition !== undefined) metrics.partitioned.inc({ rule: rule.name, partition: String(stats.partition) })
  }

  function renderBody (step: CompiledRequest, context: TemplateContext): { ok: true, value: unknown } | { ok: false, result: StepResult } {
    try {
      return { ok: true, value: step.body?.(context) }
    } catch (err) {
      if (err instanceof TemplateRenderError) return { ok: false, result: { kind: 'render-failed', error: err } }
      throw err
    }
  }

  /** Loop protection: false (and counted, logged) when the event would re-trigger itself or make the chain too long. */
  function loopFree (chain: string, hop: string): boolean {
    try {
      assertNoLoop(chain, hop, deps.maxChainLength)
      return true
    } catch (err) {
      if (!(err instanceof LoopDetectedError)) throw err
      metrics.loopsPrevented.inc({ rule: rule.name })
      log.warn({ err, chain }, 'not producing an event that would loop')
      return false
    }
  }

  async function send (records: ProduceRecord[], signal: AbortSignal): Promise<StepResult> {
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

  return async (step, context, attempt, signal) => {
    switch (step.module) {
      case 'http': return request(step, context, attempt, signal)
      case 'queue': return produce(step, context, attempt, signal)
      default: return module(step, context, attempt, signal)
    }
  }
}
