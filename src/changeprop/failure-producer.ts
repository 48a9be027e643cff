import { randomUUID } from 'node:crypto'
import { defaultBackoff, retryUntilDone } from '../backoff.js'
import { KafkaProduceError } from '../kafka/index.js'
import type { ConsumedMessage, ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { ErrorReason, RefusedKind } from '../metrics/changeprop.js'
import type { Attempt, RunnerDeps } from './attempt.js'
import type { ChangeEvent } from './decode.js'
import { ProduceRefusedError } from './errors.js'
import { buildBoundedErrorEvent, buildDelayEvent, buildErrorEvent, buildRetryEvent } from './failure-events.js'
import type { StepResult } from './outcome.js'
import type { CompiledRule } from './rules/compile.js'
import { delayTopicOf, errorTopicOf, namingOf, retryTopicOf } from '../stream-config/index.js'
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

export function createFailureProducer (rule: CompiledRule, deps: RunnerDeps, log: Logger): FailureProducer {
  const now = deps.now ?? Date.now
  const newId = deps.newId ?? randomUUID
  const { metrics } = deps
  const naming = namingOf(deps.topicPrefix, deps.legacyTopicsHome)
  const errorTopic = errorTopicOf(deps.service, naming)
  const backoff = { initialMs: deps.produceRetryDelayMs ?? defaultBackoff.initialMs, maxMs: defaultBackoff.maxMs }

  /** Resolves once Kafka took the records, or with the refusal when it never will. */
  async function produce (records: ProduceRecord[], signal: AbortSignal): Promise<KafkaProduceError | undefined> {
    try {
      await retryUntilDone(async () => deps.producer.send(records), {
        signal,
        backoff,
        isPermanent: (err) => err instanceof KafkaProduceError,
        onRetry: (err, retryInMs) => { log.error({ err, topics: [...new Set(records.map((r) => r.topic))], retryInMs }, 'producing failed; trying again') }
      })
      return undefined
    } catch (err) {
      if (!signal.aborted && err instanceof KafkaProduceError) return err
      throw err
    }
  }

  function errorEventInput (input: ErrorInput): Parameters<typeof buildErrorEvent>[0] {
    return { service: deps.service, rule: rule.name, handled: input.handled, raw: input.raw, error: input.error, failure: input.failure, chain: input.chain, id: newId(), now: now() }
  }

  async function error (input: ErrorInput, signal: AbortSignal): Promise<void> {
    const event = buildErrorEvent(errorEventInput(input))
    const refusal = await produce([{ topic: errorTopic, key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(input.trace)) }], signal)
    if (refusal !== undefined) return bounded('error', refusal, input, signal)
    metrics.errors.inc({ rule: rule.name, reason: input.reason })
    metrics.produced.inc({ rule: rule.name, kind: 'error' })
  }

  async function retry (attempt: Attempt, result: StepResult, cause: Error, retriesLeft: number, signal: AbortSignal, notBefore?: number): Promise<void> {
    const event = buildRetryEvent({
      service: deps.service,
      rule: rule.name,
      topic: attempt.topic,
      handled: attempt.handled,
      original: attempt.event,
      retriesLeft,
      failure: result,
      id: newId(),
      now: now(),
      notBefore
    })
    const key = attempt.message.key?.toString('utf8') ?? null
    // The retry carries the trace on, so the retried requests belong to the same trace.
    const headers = attempt.trace === undefined ? undefined : traceHeaders(attempt.trace)
    const refusal = await produce([{ topic: retryTopicOf(deps.service, attempt.topic, naming), key, value: JSON.stringify(event), ...(headers === undefined ? {} : { headers }) }], signal)
    if (refusal !== undefined) {
      return bounded('retry', refusal, { handled: attempt.handled, raw: '', error: cause, reason: 'refused', failure: result, chain: attempt.chain, trace: attempt.trace }, signal)
    }
    metrics.retries.inc({ rule: rule.name })
    metrics.produced.inc({ rule: rule.name, kind: 'retry' })
  }

  async function delay (attempt: Attempt, delayUntil: number, signal: AbortSignal): Promise<void> {
    const event = buildDelayEvent({ service: deps.service, rule: rule.name, topic: attempt.topic, original: attempt.event, delayUntil, id: newId(), now: now() })
    const key = attempt.message.key?.toString('utf8') ?? null
    const headers = attempt.trace === undefined ? undefined : traceHeaders(attempt.trace)
    const refusal = await produce([{ topic: delayTopicOf(deps.service, attempt.topic, naming), key, value: JSON.stringify(event), ...(headers === undefined ? {} : { headers }) }], signal)
    if (refusal !== undefined) {
      const error = new Error(`the delay event until ${new Date(delayUntil).toISOString()} was refused`)
      return bounded('delay', refusal, { handled: attempt.handled, raw: '', error, reason: 'refused', chain: attempt.chain, trace: attempt.trace }, signal)
    }
    metrics.produced.inc({ rule: rule.name, kind: 'delay' })
  }

  async function requeue (message: ConsumedMessage, signal: AbortSignal): Promise<void> {
    const record: ProduceRecord = { topic: message.topic, key: message.key?.toString('utf8') ?? null, value: message.value ?? '', headers: message.headers }
    // It went in once; a refusal now (the topic's limits changed) leaves the event to the error topic.
    const refusal = await produce([record], signal)
    if (refusal !== undefined) {
      return bounded('delay', refusal, { handled: undefined, raw: message.value?.toString('utf8') ?? '', error: new Error('a delay event could not be written back to its topic'), reason: 'refused' }, signal)
    }
    metrics.produced.inc({ rule: rule.name, kind: 'delay' })
  }

  /** Writes the bounded error event for an event Kafka refused for good; drops it (logged, counted) if that is refused too. */
  async function bounded (kind: RefusedKind, refusal: KafkaProduceError, input: ErrorInput, signal: AbortSignal): Promise<void> {
    const refused = new ProduceRefusedError(kind, refusal.kafkaError, { cause: input.error })
    log.error({ err: refusal, refused: kind }, 'Kafka refused the event for good; writing a bounded error event instead')
    const event = buildBoundedErrorEvent(errorEventInput({ ...input, error: refused }), deps.boundedRawEventMaxBytes)
    const again = await produce([{ topic: errorTopic, key: null, value: JSON.stringify(event), headers: traceHeaders(childOf(input.trace)) }], signal)
    if (again !== undefined) {
      metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'dropped' })
      log.error({ err: again, refused: kind }, 'Kafka refused the bounded error event too; the event is dropped')
      return
    }
    metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'error_event' })
    metrics.errors.inc({ rule: rule.name, reason: 'refused' })
    metrics.produced.inc({ rule: rule.name, kind: 'error' })
  }

  return { retry, error, delay, requeue }
}
