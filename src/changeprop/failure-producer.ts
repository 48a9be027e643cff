import { randomUUID } from 'node:crypto'
import { defaultBackoff, retryUntilDone } from '../backoff.js'
import type { Backoff } from '../backoff.js'
import { KafkaProduceError } from '../kafka/index.js'
import type { ConsumedMessage, ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { ChangepropMetrics, ErrorReason, RefusedKind } from '../metrics/changeprop.js'
import type { Attempt, RunnerDeps } from './attempt.js'
import type { ChangeEvent } from './decode.js'
import { ProduceRefusedError } from './errors.js'
import { buildBoundedErrorEvent, buildDelayEvent, buildErrorEvent, buildRetryEvent } from './failure-events.js'
import type { StepResult } from './outcome.js'
import type { CompiledRule } from './rules/compile.js'
import { delayTopicOf, errorTopicOf, namingOf, retryTopicOf } from '../stream-config/index.js'
import type { TopicNaming } from '../stream-config/index.js'
import { childOf, traceHeaders } from '../trace-context.js'
import type { TraceContext } from '../trace-context.js'

export interface ErrorInput {
  handled: ChangeEvent | undefined
  raw: string
  error: Error
  reason: ErrorReason
  failure?: StepResult
  chain?: string
  /** The trace of the message, continued by the event written for it. */
  trace?: TraceContext | undefined
}

/**
 * Gets a rule's retry, delay and error events into Kafka: the events written instead of running
 * an execution now, or instead of running it at all. Each resolves only once Kafka acknowledged
 * the event: producing is retried while Kafka is unavailable (src/backoff.ts) until shutdown
 * aborts, when it rejects and the message stays uncommitted. A refusal no retry changes (too
 * large, invalid topic, not authorized) would hold the partition's commits for ever, so the
 * event goes to the error topic in bounded form instead, and the message finishes.
 */
export interface FailureProducer {
  /** `notBefore`: the time the target asked the retry to wait for (Retry-After). */
  retry(attempt: Attempt, result: StepResult, error: Error, retriesLeft: number, signal: AbortSignal, notBefore?: number): Promise<void>
  error(input: ErrorInput, signal: AbortSignal): Promise<void>
  /** Writes the delay event that runs `attempt` at `delayUntil` (rules with `delay` or `delay_until`). */
  delay(attempt: Attempt, delayUntil: number, signal: AbortSignal): Promise<void>
  /** Writes a delay event read too early back to the end of its topic, unchanged. */
  requeue(message: ConsumedMessage, signal: AbortSignal): Promise<void>
}

/** What the failure events of one rule share, made once per rule. */
interface FailureScope {
  rule: CompiledRule
  deps: RunnerDeps
  log: Logger
  metrics: ChangepropMetrics
  now: () => number
  newId: () => string
  naming: TopicNaming
  errorTopic: string
  backoff: Backoff
}

export function createFailureProducer (rule: CompiledRule, deps: RunnerDeps, log: Logger): FailureProducer {
  const naming = namingOf(deps.topicPrefix, deps.legacyTopicsHome)
  const scope: FailureScope = {
    rule,
    deps,
    log,
    metrics: deps.metrics,
    now: deps.now ?? Date.now,
    newId: deps.newId ?? randomUUID,
    naming,
    errorTopic: errorTopicOf(deps.service, naming),
    backoff: { initialMs: deps.produceRetryDelayMs ?? defaultBackoff.initialMs, maxMs: defaultBackoff.maxMs }
  }
  return {
    retry: (attempt, result, cause, retriesLeft, signal, notBefore) => writeRetry(scope, attempt, result, cause, retriesLeft, signal, notBefore),
    error: (input, signal) => writeError(scope, input, signal),
    delay: (attempt, delayUntil, signal) => writeDelay(scope, attempt, delayUntil, signal),
    requeue: (message, signal) => requeue(scope, message, signal)
  }
}

/** Resolves once Kafka took the records, or with the refusal when it never will. */
async function produce (scope: FailureScope, records: ProduceRecord[], signal: AbortSignal): Promise<KafkaProduceError | undefined> {
  try {
    await retryUntilDone(async () => scope.deps.producer.send(records), {
      signal,
      backoff: scope.backoff,
      isPermanent: (err) => err instanceof KafkaProduceError,
      onRetry: (err, retryInMs) => { scope.log.error({ err, topics: [...new Set(records.map((r) => r.topic))], retryInMs }, 'producing failed; trying again') }
    })
    return undefined
  } catch (err) {
    if (!signal.aborted && err instanceof KafkaProduceError) return err
    throw err
  }
}

function errorEventInput (scope: FailureScope, input: ErrorInput): Parameters<typeof buildErrorEvent>[0] {
  return { service: scope.deps.service, rule: scope.rule.name, handled: input.handled, raw: input.raw, error: input.error, failure: input.failure, chain: input.chain, id: scope.newId(), now: scope.now() }
}

async function writeError (scope: FailureScope, input: ErrorInput, signal: AbortSignal): Promise<void> {
  const { rule, metrics } = scope
  const event = buildErrorEvent(errorEventInput(scope, input))
  const refusal = await produce(scope, [{ topic: scope.errorTopic, key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(input.trace)) }], signal)
  if (refusal !== undefined) return bounded(scope, 'error', refusal, input, signal)
  metrics.errors.inc({ rule: rule.name, reason: input.reason })
  metrics.produced.inc({ rule: rule.name, kind: 'error' })
}

async function writeRetry (scope: FailureScope, attempt: Attempt, result: StepResult, cause: Error, retriesLeft: number, signal: AbortSignal, notBefore?: number): Promise<void> {
  const { rule, deps, metrics } = scope
  const event = buildRetryEvent({
    service: deps.service,
    rule: rule.name,
    topic: attempt.topic,
    handled: attempt.handled,
    original: attempt.event,
    retriesLeft,
    failure: result,
    id: scope.newId(),
    now: scope.now(),
    notBefore
  })
  const key = attempt.message.key?.toString('utf8') ?? null
  // The retry carries the trace on, so the retried requests belong to the same trace.
  const headers = attempt.trace === undefined ? undefined : traceHeaders(attempt.trace)
  const refusal = await produce(scope, [{ topic: retryTopicOf(deps.service, attempt.topic, scope.naming), key, value: JSON.stringify(event), ...(headers === undefined ? {} : { headers }) }], signal)
  if (refusal !== undefined) {
    return bounded(scope, 'retry', refusal, { handled: attempt.handled, raw: '', error: cause, reason: 'refused', failure: result, chain: attempt.chain, trace: attempt.trace }, signal)
  }
  metrics.retries.inc({ rule: rule.name })
  metrics.produced.inc({ rule: rule.name, kind: 'retry' })
}

async function writeDelay (scope: FailureScope, attempt: Attempt, delayUntil: number, signal: AbortSignal): Promise<void> {
  const { rule, deps } = scope
  const event = buildDelayEvent({ service: deps.service, rule: rule.name, topic: attempt.topic, original: attempt.event, delayUntil, id: scope.newId(), now: scope.now() })
  const key = attempt.message.key?.toString('utf8') ?? null
  const headers = attempt.trace === undefined ? undefined : traceHeaders(attempt.trace)
  const refusal = await produce(scope, [{ topic: delayTopicOf(deps.service, attempt.topic, scope.naming), key, value: JSON.stringify(event), ...(headers === undefined ? {} : { headers }) }], signal)
  if (refusal !== undefined) {
    const error = new Error(`the delay event until ${new Date(delayUntil).toISOString()} was refused`)
    return bounded(scope, 'delay', refusal, { handled: attempt.handled, raw: '', error, reason: 'refused', chain: attempt.chain, trace: attempt.trace }, signal)
  }
  scope.metrics.produced.inc({ rule: rule.name, kind: 'delay' })
}

async function requeue (scope: FailureScope, message: ConsumedMessage, signal: AbortSignal): Promise<void> {
  const record: ProduceRecord = { topic: message.topic, key: message.key?.toString('utf8') ?? null, value: message.value ?? '', headers: message.headers }
  // It went in once; a refusal now (the topic's limits changed) leaves the event to the error topic.
  const refusal = await produce(scope, [record], signal)
  if (refusal !== undefined) {
    return bounded(scope, 'delay', refusal, { handled: undefined, raw: message.value?.toString('utf8') ?? '', error: new Error('a delay event could not be written back to its topic'), reason: 'refused' }, signal)
  }
  scope.metrics.produced.inc({ rule: scope.rule.name, kind: 'delay' })
}

/** Writes the bounded error event for an event Kafka refused for good; drops it (logged, counted) if that is refused too. */
async function bounded (scope: FailureScope, kind: RefusedKind, refusal: KafkaProduceError, input: ErrorInput, signal: AbortSignal): Promise<void> {
  const { rule, log, metrics } = scope
  const refused = new ProduceRefusedError(kind, refusal.kafkaError, { cause: input.error })
  log.error({ err: refusal, refused: kind }, 'Kafka refused the event for good; writing a bounded error event instead')
  const event = buildBoundedErrorEvent(errorEventInput(scope, { ...input, error: refused }), scope.deps.boundedRawEventMaxBytes)
  const again = await produce(scope, [{ topic: scope.errorTopic, key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(input.trace)) }], signal)
  if (again !== undefined) {
    metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'dropped' })
    log.error({ err: again, refused: kind }, 'Kafka refused the bounded error event too; the event is dropped')
    return
  }
  metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'error_event' })
  metrics.errors.inc({ rule: rule.name, reason: 'refused' })
  metrics.produced.inc({ rule: rule.name, kind: 'error' })
}
