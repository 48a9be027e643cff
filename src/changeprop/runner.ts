import { randomUUID } from 'node:crypto'
import { KafkaProduceError } from '../kafka/index.js'
import type { ConsumedMessage, EventProducer, ProduceRecord } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { ChangepropMetrics, ChangepropSource, ErrorReason, EventResult, RefusedKind } from '../metrics/changeprop.js'
import { assertNoLoop, hopOf, triggeredBy } from './chain.js'
import type { ChangeEvent } from './decode.js'
import { decodeEvent, isChangeEvent } from './decode.js'
import type { DedupeStore } from './dedupe.js'
import { EventMalformedError, LoopDetectedError, ProduceRefusedError, RetriesExhaustedError, TemplateRenderError } from './errors.js'
import type { HttpExecutor } from './exec.js'
import { renderRequest } from './exec.js'
import type { LimiterStore } from './limiter.js'
import type { StepResult, StepVerdict } from './outcome.js'
import { judgeStep, nextRetriesLeft, retryDelayMs, statusClass } from './outcome.js'
import { buildBoundedErrorEvent, buildErrorEvent, buildRetryEvent, emitterIdOf, failureError, failureStatus } from './failure-events.js'
import type { CompiledRequest, CompiledRule, RuleMatch } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'
import { errorTopicOf, retriedStreamOf, retryStreamOf, retryTopicOf, streamTopicOf, topicStreamOf } from './topics.js'

export interface RunnerDeps {
  service: string
  /** Datacenter prefix of every topic (`eqiad.`). */
  topicPrefix: string
  userAgent: string
  originOverride?: string | undefined
  maxChainLength: number
  producer: Pick<EventProducer, 'send'>
  http: HttpExecutor
  dedupe: DedupeStore
  limiter: LimiterStore
  metrics: ChangepropMetrics
  logger: Logger
  now?: () => number
  newId?: () => string
  /** First back-off when producing a retry or error event fails; doubles up to 5 s. Default 100. */
  produceRetryDelayMs?: number
  /** Bytes of `raw_event` kept in the error event written when Kafka refused an event for good. */
  boundedRawEventMaxBytes: number
}

/** Message handlers of one rule, for its main consumer and its retry consumer. */
export interface RuleRunner {
  handleMain(message: ConsumedMessage, signal: AbortSignal): Promise<void>
  handleRetry(message: ConsumedMessage, signal: AbortSignal): Promise<void>
}

interface Attempt {
  source: ChangepropSource
  /** The topic the rule consumed (not the retry topic), without prefix. */
  topic: string
  message: ConsumedMessage
  /** The event the rule runs for. */
  event: ChangeEvent
  /** The event whose chain the next hop extends: the retry event on retries. */
  handled: ChangeEvent
  /** undefined on a first attempt. */
  retriesLeft: number | undefined
  found: RuleMatch
}

/**
 * The per-message pipeline of one rule, in order:
 * decode → match → sample → dedupe → limiters → exec steps → outcome → retry or error event.
 *
 * A handler resolves only when the message's outcome is durable: the exec steps
 * succeeded (or were ignored), or the retry / error event was acknowledged by Kafka.
 * Producing those events is retried while Kafka is unavailable, until it succeeds or
 * shutdown aborts, in which case the handler rejects and the message stays uncommitted, to
 * run again after restart. A refusal no retry changes (too large, invalid topic, not
 * authorized) is not retried: it would hold the partition's commits for ever. The event
 * goes to the error topic in bounded form instead, and the message finishes.
 */
export function createRuleRunner (rule: CompiledRule, deps: RunnerDeps): RuleRunner {
  const log = deps.logger.child({ module: 'changeprop', rule: rule.name })
  const now = deps.now ?? Date.now
  const newId = deps.newId ?? randomUUID
  const emitterId = emitterIdOf(deps.service, rule.name)
  const { metrics } = deps
  const count = (source: ChangepropSource, result: EventResult): void => { metrics.events.inc({ rule: rule.name, source, result }) }

  /** The stream of a consumed topic (topics are subscribed by their stream's name, so it has one). */
  function streamOfTopic (topic: string): string {
    return topicStreamOf(deps.topicPrefix, topic) ?? topic
  }

  /** Resolves once Kafka took the records, or with the refusal when it never will. */
  async function produce (records: ProduceRecord[], signal: AbortSignal): Promise<KafkaProduceError | undefined> {
    let delay = deps.produceRetryDelayMs ?? 100
    for (;;) {
      try {
        await deps.producer.send(records)
        return undefined
      } catch (err) {
        if (signal.aborted) throw err
        if (err instanceof KafkaProduceError) return err
        log.error({ err, topics: [...new Set(records.map((r) => r.topic))], retryInMs: delay }, 'producing failed; trying again')
        await sleep(delay, signal)
        delay = Math.min(delay * 2, 5000)
      }
    }
  }

  interface ErrorInput { handled: ChangeEvent | undefined, raw: string, error: Error, reason: ErrorReason, failure?: StepResult, chain?: string }

  function errorEventInput (input: ErrorInput): Parameters<typeof buildErrorEvent>[0] {
    return { service: deps.service, rule: rule.name, handled: input.handled, raw: input.raw, error: input.error, failure: input.failure, chain: input.chain, id: newId(), now: now() }
  }

  async function sendError (input: ErrorInput, signal: AbortSignal): Promise<void> {
    const event = buildErrorEvent(errorEventInput(input))
    const refusal = await produce([{ topic: errorTopicOf(deps.topicPrefix, deps.service), key: null, value: JSON.stringify(event) }], signal)
    if (refusal !== undefined) {
      await sendBounded('error', refusal, input, signal)
      return
    }
    metrics.errors.inc({ rule: rule.name, reason: input.reason })
    metrics.produced.inc({ rule: rule.name, kind: 'error' })
  }

  /** Writes the bounded error event for an event Kafka refused for good; drops it (logged, counted) if that is refused too. */
  async function sendBounded (kind: RefusedKind, refusal: KafkaProduceError, input: ErrorInput, signal: AbortSignal): Promise<void> {
    const error = new ProduceRefusedError(kind, refusal.kafkaError, { cause: input.error })
    log.error({ err: refusal, refused: kind }, 'Kafka refused the event for good; writing a bounded error event instead')
    const event = buildBoundedErrorEvent(errorEventInput({ ...input, error }), deps.boundedRawEventMaxBytes)
    const again = await produce([{ topic: errorTopicOf(deps.topicPrefix, deps.service), key: null, value: JSON.stringify(event) }], signal)
    if (again !== undefined) {
      metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'dropped' })
      log.error({ err: again, refused: kind }, 'Kafka refused the bounded error event too; the event is dropped')
      return
    }
    metrics.produceRefused.inc({ rule: rule.name, kind, outcome: 'error_event' })
    metrics.errors.inc({ rule: rule.name, reason: 'refused' })
    metrics.produced.inc({ rule: rule.name, kind: 'error' })
  }

  async function malformed (source: ChangepropSource, raw: string, error: EventMalformedError, signal: AbortSignal): Promise<void> {
    count(source, 'malformed')
    log.warn({ err: error, source }, 'malformed message; sending it to the error topic')
    await sendError({ handled: undefined, raw, error, reason: 'malformed' }, signal)
  }

  async function failOpen<T> (store: 'dedupe' | 'limiter', fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      metrics.stateStoreErrors.inc({ store })
      log.warn({ err }, `${store} store failed; letting the event through`)
      return fallback
    }
  }

  // Dedupe keys of first attempts running now, each with a promise that settles when its run ends.
  const running = new Map<string, Promise<void>>()

  /** Runs `fn` holding `keys`; a run that holds any of them already is waited for first. */
  async function exclusive (keys: readonly string[], fn: () => Promise<void>): Promise<void> {
    if (keys.length === 0) return fn()
    for (;;) {
      const busy = keys.map((key) => running.get(key)).find((held) => held !== undefined)
      if (busy === undefined) break
      await busy
    }
    let done: () => void = () => undefined
    const settled = new Promise<void>((resolve) => { done = resolve })
    for (const key of keys) running.set(key, settled)
    try {
      await fn()
    } finally {
      for (const key of keys) if (running.get(key) === settled) running.delete(key)
      done()
    }
  }

  function dedupeKeys (attempt: Attempt, context: TemplateContext): string[] {
    if (rule.dedupe === undefined || attempt.retriesLeft !== undefined) return []
    const keys: string[] = []
    const id = attempt.event.meta.id
    if (typeof id === 'string' && id !== '') keys.push(`id:${id}`)
    if (rule.dedupe.key !== undefined) {
      const key = rule.dedupe.key(context)
      if (key !== undefined && key !== null && key !== '') keys.push(`key:${typeof key === 'string' ? key : JSON.stringify(key)}`)
    }
    return keys
  }

  async function runStep (step: CompiledRequest, context: TemplateContext, attempt: Attempt, chain: string, signal: AbortSignal): Promise<StepResult> {
    if (step.produce) return produceStep(step, context, attempt, chain, signal)
    let request
    try {
      const requestId = attempt.event.meta.request_id
      request = renderRequest(step, context, {
        defaultHeaders: { 'user-agent': deps.userAgent },
        forcedHeaders: { ...(typeof requestId === 'string' ? { 'x-request-id': requestId } : {}), 'x-triggered-by': chain },
        originOverride: deps.originOverride
      })
    } catch (err) {
      if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
      throw err
    }
    return deps.http.execute(request, signal)
  }

  async function produceStep (step: CompiledRequest, context: TemplateContext, attempt: Attempt, chain: string, signal: AbortSignal): Promise<StepResult> {
    let body: unknown
    try {
      body = step.body?.(context)
    } catch (err) {
      if (err instanceof TemplateRenderError) return { kind: 'render-failed', error: err }
      throw err
    }
    const list = Array.isArray(body) ? body : [body]
    const records: ProduceRecord[] = []
    for (const [index, item] of list.entries()) {
      if (!isChangeEvent(item) || typeof item.meta.stream !== 'string' || item.meta.stream === '') {
        return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}/body: event ${index} has no meta.stream`) }
      }
      const event = structuredClone(item)
      const source = attempt.event.meta
      event.meta.id ??= newId()
      event.meta.dt ??= new Date(now()).toISOString()
      if (event.meta.request_id === undefined && typeof source.request_id === 'string') event.meta.request_id = source.request_id
      event.triggered_by = chain
      if (event.root_event === undefined && typeof source.dt === 'string') {
        const root = attempt.event.root_event
        event.root_event = root !== undefined && root !== null && typeof root === 'object'
          ? root
          : { signature: typeof source.uri === 'string' ? source.uri : hopOf(attempt.event, attempt.topic), dt: source.dt }
      }
      try {
        assertNoLoop(chain, hopOf(event, event.meta.stream as string), deps.maxChainLength)
      } catch (err) {
        if (!(err instanceof LoopDetectedError)) throw err
        metrics.loopsPrevented.inc({ rule: rule.name })
        log.warn({ err, chain }, 'not producing an event that would loop')
        continue
      }
      records.push({ topic: streamTopicOf(deps.topicPrefix, event.meta.stream as string), key: null, value: JSON.stringify(event) })
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

  async function run (attempt: Attempt, signal: AbortSignal): Promise<void> {
    const context: TemplateContext = { message: attempt.event, match: attempt.found.captures }
    const { ruleCase } = attempt.found
    const eventLog = log.child({ source: attempt.source, topic: attempt.topic, partition: attempt.message.partition, offset: attempt.message.offset })
    const chain = triggeredBy(attempt.handled, attempt.source === 'retry' ? retryStreamOf(deps.service, attempt.topic) : attempt.topic)

    try {
      if (ruleCase.sampler !== undefined && !ruleCase.sampler(context)) {
        count(attempt.source, 'sampled_out')
        return
      }
      const keys = dedupeKeys(attempt, context)
      // A copy of an event still running here waits for it, then is judged by the outcome it
      // recorded, as if the two had arrived one after the other.
      await exclusive(keys, async () => runDeduplicated(attempt, context, keys, chain, eventLog, signal))
    } catch (err) {
      if (signal.aborted || !(err instanceof TemplateRenderError)) throw err
      // A template of the sampler, dedupe key or limiter key failed for this event.
      eventLog.error({ err }, 'template failed; sending the event to the error topic')
      await sendError({ handled: attempt.handled, raw: '', error: err, reason: 'template', chain }, signal)
    }
  }

  /** dedupe check → limiters → exec steps → outcome → dedupe record. */
  async function runDeduplicated (attempt: Attempt, context: TemplateContext, keys: readonly string[], chain: string,
    eventLog: Logger, signal: AbortSignal): Promise<void> {
    if (keys.length > 0 && await failOpen('dedupe', false, async () => deps.dedupe.seen(rule.name, keys))) {
      count(attempt.source, 'duplicate')
      eventLog.debug('duplicate; skipped')
      return
    }
    const limiterKeys = rule.limiters.map((limiter) => ({ type: limiter.type, key: String(limiter.key(context)) }))
    for (const { type, key } of limiterKeys) {
      if (await failOpen('limiter', false, async () => deps.limiter.isLimited(type, key))) {
        count(attempt.source, 'rate_limited')
        eventLog.info({ limiter: type }, 'failure budget of the key used up; skipped')
        return
      }
    }
    count(attempt.source, 'matched')

    let failure: { result: StepResult, verdict: StepVerdict } | undefined
    for (const step of attempt.found.ruleCase.exec) {
      const started = performance.now()
      const result = await runStep(step, context, attempt, chain, signal)
      metrics.execDuration.observe({ rule: rule.name, status_class: statusClass(result) }, (performance.now() - started) / 1000)
      const verdict = judgeStep(result, rule.outcome)
      if (verdict === 'retry' || verdict === 'fail') {
        failure = { result, verdict }
        break
      }
    }

    if (failure === undefined) {
      metrics.succeeded.inc({ rule: rule.name, source: attempt.source })
    } else {
      await handleFailure(attempt, failure.result, failure.verdict, chain, limiterKeys, eventLog, signal)
    }
    if (keys.length > 0) await failOpen('dedupe', undefined, async () => deps.dedupe.record(rule.name, keys))
  }

  async function handleFailure (attempt: Attempt, result: StepResult, verdict: StepVerdict, chain: string,
    limiterKeys: Array<{ type: string, key: string }>, eventLog: Logger, signal: AbortSignal): Promise<void> {
    const status = failureStatus(result)
    if (status !== undefined && status >= 500) {
      for (const { type, key } of limiterKeys) await failOpen('limiter', undefined, async () => deps.limiter.recordFailure(type, key))
    }
    const error = failureError(result, verdict === 'retry')
    const retriesLeft = verdict === 'retry' ? nextRetriesLeft(attempt.retriesLeft, rule.retry) : undefined
    if (retriesLeft !== undefined) {
      const retry = buildRetryEvent({
        service: deps.service,
        rule: rule.name,
        topic: attempt.topic,
        handled: attempt.handled,
        original: attempt.event,
        retriesLeft,
        failure: result,
        id: newId(),
        now: now()
      })
      eventLog.info({ err: error, retriesLeft }, 'exec failed; retrying later')
      const refusal = await produce([{ topic: retryTopicOf(deps.topicPrefix, deps.service, attempt.topic), key: attempt.message.key?.toString('utf8') ?? null, value: JSON.stringify(retry) }], signal)
      if (refusal !== undefined) {
        await sendBounded('retry', refusal, { handled: attempt.handled, raw: '', error, reason: 'refused', failure: result, chain }, signal)
        return
      }
      metrics.retries.inc({ rule: rule.name })
      metrics.produced.inc({ rule: rule.name, kind: 'retry' })
      return
    }
    const reason: ErrorReason = result.kind === 'render-failed' ? 'template' : result.kind === 'produce-refused' ? 'refused' : verdict === 'retry' ? 'exhausted' : 'status'
    const finalError = reason === 'exhausted'
      ? new RetriesExhaustedError(1 + (rule.retry.retryLimit), { cause: error })
      : error
    const level = status !== undefined && status < 500 ? 'info' : 'error'
    eventLog[level]({ err: finalError }, 'exec failed; sending the event to the error topic')
    await sendError({ handled: attempt.handled, raw: '', error: finalError, reason, failure: result, chain }, signal)
  }

  return {
    async handleMain (message, signal) {
      metrics.inFlight.inc({ rule: rule.name, source: 'main' })
      try {
        const topic = streamOfTopic(message.topic)
        const decoded = decodeEvent(message.value)
        if (!decoded.ok) return await malformed('main', decoded.raw, decoded.error, signal)
        const found = rule.test(decoded.event)
        if (found === undefined) return count('main', 'unmatched')
        const dt = typeof decoded.event.meta.dt === 'string' ? Date.parse(decoded.event.meta.dt) : Number.NaN
        if (!Number.isNaN(dt)) metrics.delay.observe({ rule: rule.name, source: 'main' }, Math.max(0, now() - dt) / 1000)
        await run({ source: 'main', topic, message, event: decoded.event, handled: decoded.event, retriesLeft: undefined, found }, signal)
      } finally {
        metrics.inFlight.dec({ rule: rule.name, source: 'main' })
      }
    },

    async handleRetry (message, signal) {
      metrics.inFlight.inc({ rule: rule.name, source: 'retry' })
      try {
        const decoded = decodeEvent(message.value)
        if (!decoded.ok) return await malformed('retry', decoded.raw, decoded.error, signal)
        const retry = decoded.event
        // Every rule on a topic reads the same retry topic; each takes only its own retries.
        if (retry.emitter_id !== emitterId) return count('retry', 'foreign')
        const original = retry.original_event
        const retriesLeft = retry.retries_left
        if (!isChangeEvent(original) || typeof retriesLeft !== 'number' || !Number.isInteger(retriesLeft) || retriesLeft < 1) {
          return await malformed('retry', message.value?.toString('utf8') ?? '', new EventMalformedError('a retry event needs original_event (with meta) and a positive integer retries_left'), signal)
        }
        const topic = retriedStreamOf(deps.topicPrefix, deps.service, message.topic) ?? streamOfTopic(message.topic)
        // The delay runs from the retry event's time, so time spent in the topic counts.
        const since = typeof retry.meta.dt === 'string' ? Date.parse(retry.meta.dt) : Number.NaN
        const due = (Number.isNaN(since) ? now() : since) + retryDelayMs(retriesLeft, rule.retry)
        if (due > now()) await sleep(due - now(), signal)
        metrics.delay.observe({ rule: rule.name, source: 'retry' }, Math.max(0, now() - due) / 1000)
        const found = rule.test(original)
        if (found === undefined) return count('retry', 'unmatched')
        await run({ source: 'retry', topic, message, event: original, handled: retry, retriesLeft, found }, signal)
      } finally {
        metrics.inFlight.dec({ rule: rule.name, source: 'retry' })
      }
    }
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason ?? new Error('aborted'))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
