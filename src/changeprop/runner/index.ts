import { setMaxListeners } from 'node:events'
import type { ConsumedMessage } from '../../kafka/index.js'
import type { Logger } from '../../logger.js'
import type { ChangepropSource, EventResult } from '../../metrics/changeprop.js'
import { sleep } from '../../backoff.js'
import type { Attempt, RunnerDeps } from '../attempt.js'
import { triggeredBy } from '../chain.js'
import type { ChangeEvent } from '../decode.js'
import { decodeEvent, isChangeEvent } from '../decode.js'
import type { Decoded } from '../decode.js'
import { EventMalformedError, RetriesExhaustedError, TemplateRenderError } from '../errors.js'
import { createStepRunner } from '../exec-steps.js'
import { createExecSlots } from '../exec-slots.js'
import { emitterIdOf, failureError, failureStatus } from '../failure-events.js'
import { createFailureProducer } from '../failure-producer.js'
import { createInFlightKeys, dedupeKeysOf } from '../in-flight-keys.js'
import type { StepResult, StepVerdict } from '../outcome.js'
import { askedRetryDelayMs, judgeStep, nextRetriesLeft, retryDelayMs, statusClass, targetHealth } from '../outcome.js'
import type { CompiledDelay, CompiledRule, RuleMatch } from '../rules/compile.js'
import type { TemplateContext } from '../rules/template/index.js'
import { ruleThrottleFor } from '../throttle.js'
import { delayStreamOf, delayedStreamOf, namingOf, retriedStreamOf, retryStreamOf, streamOf } from '../../stream-config/index.js'
import { parseTraceparent } from '../../trace-context.js'

export type { Attempt, RunnerDeps } from '../attempt.js'

/** Message handlers of one rule, for its main consumer and its retry consumer (which also reads its delay topics). */
export interface RuleRunner {
  handleMain(message: ConsumedMessage, signal: AbortSignal): Promise<void>
  handleRetry(message: ConsumedMessage, signal: AbortSignal): Promise<void>
  /**
   * Shutdown: events waiting for their time, for the throttle or for an execution slot stop
   * waiting and reject, staying uncommitted to wait again after the restart; so closing the
   * consumers does not wait for them. Executions already running go on.
   */
  stopWaiting(): void
}

type LimiterKeys = Array<{ type: string, key: string }>

/**
 * The per-message pipeline of one rule, read top to bottom:
 * decode → match → block list → sample → delay → dedupe → limiters → throttle → exec steps → outcome → retry or error event.
 *
 * The retry consumer reads the rule's retry and delay topics. Its events wait for their time
 * (a retry's delay, the target's Retry-After, the rule's delay) without an execution slot;
 * `concurrency` of them execute at once (exec-slots.ts).
 *
 * A handler resolves only when the message's outcome is durable: the exec steps succeeded (or
 * were ignored), or the retry or error event was acknowledged by Kafka (failure-producer.ts).
 * It rejects only at shutdown, leaving the message uncommitted to run again after a restart.
 */
export function createRuleRunner (rule: CompiledRule, deps: RunnerDeps): RuleRunner {
  const log = deps.logger.child({ module: 'changeprop', rule: rule.name })
  const now = deps.now ?? Date.now
  const emitterId = emitterIdOf(deps.service, rule.name)
  // Another datacenter's topics are named as that datacenter names them: a legacy stream's bare
  // name only when it is the legacy home, else its prefixed one (never this datacenter's own).
  const consumed = namingOf(deps.consumedPrefix ?? deps.topicPrefix, deps.legacyTopicsHome ?? deps.topicPrefix)
  const { metrics } = deps
  const runStep = createStepRunner(rule, deps, log)
  const failures = createFailureProducer(rule, deps, log)
  const inFlight = createInFlightKeys()
  const decode = deps.decode ?? ((message: ConsumedMessage): Decoded => decodeEvent(message.value))
  const throttle = deps.throttle ?? ruleThrottleFor(rule, metrics, log)
  const deferredSlots = createExecSlots(rule.concurrency)
  const delayHoldMaxMs = deps.delayHoldMaxMs ?? 300000
  const stopping = new AbortController()
  // Every waiting event listens on it.
  setMaxListeners(0, stopping.signal)
  /** A wait ends at the message's own abort, or when shutdown begins. */
  const waitSignal = (signal: AbortSignal): AbortSignal => AbortSignal.any([signal, stopping.signal])

  return {
    async handleMain (message, signal) {
      metrics.inFlight.inc({ rule: rule.name, source: 'main' })
      try {
        const decoded = decode(message)
        if (!decoded.ok) return await malformed('main', decoded.raw, decoded.error, signal)
        const found = rule.test(decoded.event)
        if (found === undefined) return count('main', 'unmatched')
        observeDelay(decoded.event)
        await run(attemptOf('main', streamOfTopic(message.topic), message, decoded.event, decoded.event, undefined, found), signal)
      } finally {
        metrics.inFlight.dec({ rule: rule.name, source: 'main' })
      }
    },

    async handleRetry (message, signal) {
      const delayedTopic = delayedStreamOf(deps.service, message.topic, consumed)
      if (delayedTopic !== undefined) return handleDelayed(message, delayedTopic, signal)
      metrics.inFlight.inc({ rule: rule.name, source: 'retry' })
      try {
        const decoded = decode(message)
        if (!decoded.ok) return await malformed('retry', decoded.raw, decoded.error, signal)
        const retry = decoded.event
        // Every rule on a topic reads the same retry topic; each takes only its own retries.
        if (retry.emitter_id !== emitterId) return count('retry', 'foreign')
        const { original_event: original, retries_left: retriesLeft } = retry
        if (!isChangeEvent(original) || typeof retriesLeft !== 'number' || !Number.isInteger(retriesLeft) || retriesLeft < 1) {
          return await malformed('retry', message.value?.toString('utf8') ?? '', new EventMalformedError('a retry event needs original_event (with meta) and a positive integer retries_left'), signal)
        }
        await waitUntilDue(retry, retriesLeft, signal)
        const found = rule.test(original)
        if (found === undefined) return count('retry', 'unmatched')
        const topic = retriedStreamOf(deps.service, message.topic, consumed) ?? streamOfTopic(message.topic)
        await deferredSlots.run(async () => run(attemptOf('retry', topic, message, original, retry, retriesLeft, found), signal), waitSignal(signal))
      } finally {
        metrics.inFlight.dec({ rule: rule.name, source: 'retry' })
      }
    },

    stopWaiting () {
      stopping.abort(new Error('shutting down: the event waits again after the restart'))
    }
  }

  /**
   * An event of the rule's delay topic: waits until its `delay_until` (at most `delayHoldMaxMs`
   * in memory: one due later goes back to the end of the topic), then runs as the first attempt.
   */
  async function handleDelayed (message: ConsumedMessage, topic: string, signal: AbortSignal): Promise<void> {
    metrics.inFlight.inc({ rule: rule.name, source: 'delay' })
    try {
      const decoded = decode(message)
      if (!decoded.ok) return await malformed('delay', decoded.raw, decoded.error, signal)
      const delayed = decoded.event
      if (delayed.emitter_id !== emitterId) return count('delay', 'foreign')
      const original = delayed.original_event
      const until = typeof delayed.delay_until === 'string' ? Date.parse(delayed.delay_until) : Number.NaN
      if (!isChangeEvent(original) || Number.isNaN(until)) {
        return await malformed('delay', message.value?.toString('utf8') ?? '', new EventMalformedError('a delay event needs original_event (with meta) and a delay_until date'), signal)
      }
      if (until - now() > delayHoldMaxMs) {
        await waiting('delay', delayHoldMaxMs, signal)
        count('delay', 'requeued')
        return await failures.requeue(message, signal)
      }
      await waiting('delay', until - now(), signal)
      metrics.delay.observe({ rule: rule.name, source: 'delay' }, Math.max(0, now() - until) / 1000)
      const found = rule.test(original)
      if (found === undefined) return count('delay', 'unmatched')
      await deferredSlots.run(async () => run(attemptOf('delay', topic, message, original, delayed, undefined, found), signal), waitSignal(signal))
    } finally {
      metrics.inFlight.dec({ rule: rule.name, source: 'delay' })
    }
  }

  /** sample → dedupe hold → the deduplicated part; a template that fails on the way sends the event to the error topic. */
  async function run (attempt: Attempt, signal: AbortSignal): Promise<void> {
    const context: TemplateContext = { message: attempt.event, match: attempt.found.captures }
    // Made on the first line logged: most events log none, and a child per event and rule was
    // a large share of the garbage with twenty rules.
    let made: Logger | undefined
    const eventLog = (): Logger => {
      made ??= log.child({ source: attempt.source, topic: attempt.topic, partition: attempt.message.partition, offset: attempt.message.offset })
      return made
    }
    try {
      // The static block list comes first, as in the reference: a listed page costs nothing.
      if (rule.blacklisted?.(attempt.event) === true) return count(attempt.source, 'blacklisted')
      const { sampler } = attempt.found.ruleCase
      if (sampler !== undefined && !sampler(context)) return count(attempt.source, 'sampled_out')
      if (attempt.source === 'main' && rule.delay !== undefined) {
        const due = dueTimeOf(rule.delay, context, attempt.event, attempt.message)
        if (due !== undefined && due > now()) {
          count('main', 'delayed')
          await failures.delay(attempt, due, signal)
          return
        }
      }
      const keys = dedupeKeysOf(rule, attempt, context)
      await inFlight.exclusive(keys, async () => runDeduplicated(attempt, context, keys, eventLog, signal))
    } catch (err) {
      if (signal.aborted || !(err instanceof TemplateRenderError)) throw err
      // A template of the sampler, delay, dedupe key or limiter key failed for this event.
      eventLog().error({ err }, 'template failed; sending the event to the error topic')
      await failures.error({ handled: attempt.handled, raw: '', error: err, reason: 'template', chain: attempt.chain, trace: attempt.trace }, signal)
    }
  }

  /** dedupe check → limiters → throttle → exec steps → outcome → dedupe record. */
  async function runDeduplicated (attempt: Attempt, context: TemplateContext, keys: readonly string[], eventLog: () => Logger, signal: AbortSignal): Promise<void> {
    if (keys.length > 0 && await failOpen('dedupe', false, async () => deps.dedupe.seen(rule.name, keys))) {
      count(attempt.source, 'duplicate')
      eventLog().debug('duplicate; skipped')
      return
    }
    const limiterKeys: LimiterKeys = attempt.found.ruleCase.limiters.map((limiter) => ({ type: limiter.type, key: String(limiter.key(context)) }))
    for (const { type, key } of limiterKeys) {
      if (await failOpen('limiter', false, async () => deps.limiter.isLimited(type, key))) {
        count(attempt.source, 'rate_limited')
        eventLog().info({ limiter: type }, 'failure budget of the key used up; skipped')
        return
      }
    }
    count(attempt.source, 'matched')
    const ticket = await throttle.admit(waitSignal(signal))
    const failure = await execSteps(attempt, context, signal)
    throttle.settle(ticket, targetHealth(failure?.result, rule.outcome))
    if (failure === undefined) metrics.succeeded.inc({ rule: rule.name, source: attempt.source })
    else await handleFailure(attempt, failure.result, failure.verdict, limiterKeys, eventLog, signal)
    if (keys.length > 0) await failOpen('dedupe', undefined, async () => deps.dedupe.record(rule.name, keys))
  }

  /** Runs the case's steps in order; the first that fails (to retry, or for good) ends them. */
  async function execSteps (attempt: Attempt, context: TemplateContext, signal: AbortSignal): Promise<{ result: StepResult, verdict: StepVerdict } | undefined> {
    for (const step of attempt.found.ruleCase.exec) {
      const started = performance.now()
      const result = await runStep(step, context, attempt, signal)
      metrics.execDuration.observe({ rule: rule.name, status_class: statusClass(result) }, (performance.now() - started) / 1000)
      const verdict = judgeStep(result, rule.outcome)
      if (verdict === 'retry' || verdict === 'fail') return { result, verdict }
    }
    return undefined
  }

  /** A failed step: counts against the limiters, then becomes a retry event while retries are left, else an error event. */
  async function handleFailure (attempt: Attempt, result: StepResult, verdict: StepVerdict, limiterKeys: LimiterKeys, eventLog: () => Logger, signal: AbortSignal): Promise<void> {
    const status = failureStatus(result)
    if (status !== undefined && status >= 500) {
      for (const { type, key } of limiterKeys) await failOpen('limiter', undefined, async () => deps.limiter.recordFailure(type, key))
    }
    const error = failureError(result, verdict === 'retry')
    const retriesLeft = verdict === 'retry' ? nextRetriesLeft(attempt.retriesLeft, rule.retry) : undefined
    if (retriesLeft !== undefined) {
      // The target said when to come back (Retry-After): this event's retry waits that long.
      const askedMs = askedRetryDelayMs(result, rule.outcome, now())
      if (askedMs !== undefined) metrics.retryAfter.observe({ rule: rule.name }, askedMs / 1000)
      const notBefore = askedMs === undefined ? undefined : now() + askedMs
      eventLog().info({ err: error, retriesLeft, ...(notBefore === undefined ? {} : { notBefore: new Date(notBefore).toISOString() }) }, 'exec failed; retrying later')
      return failures.retry(attempt, result, error, retriesLeft, signal, notBefore)
    }
    const reason = result.kind === 'render-failed' ? 'template' : result.kind === 'produce-refused' ? 'refused' : verdict === 'retry' ? 'exhausted' : 'status'
    const finalError = reason === 'exhausted' ? new RetriesExhaustedError(1 + rule.retry.retryLimit, { cause: error }) : error
    eventLog()[status !== undefined && status < 500 ? 'info' : 'error']({ err: finalError }, 'exec failed; sending the event to the error topic')
    await failures.error({ handled: attempt.handled, raw: '', error: finalError, reason, failure: result, chain: attempt.chain, trace: attempt.trace }, signal)
  }

  async function malformed (source: ChangepropSource, raw: string, error: EventMalformedError, signal: AbortSignal): Promise<void> {
    count(source, 'malformed')
    log.warn({ err: error, source }, 'malformed message; sending it to the error topic')
    await failures.error({ handled: undefined, raw, error, reason: 'malformed' }, signal)
  }

  /**
   * The delay of a retry runs from the retry event's time, so time spent in the topic counts; a
   * retry whose target asked for a later one (`not_before`, from Retry-After) waits for that too.
   */
  async function waitUntilDue (retry: ChangeEvent, retriesLeft: number, signal: AbortSignal): Promise<void> {
    const since = typeof retry.meta.dt === 'string' ? Date.parse(retry.meta.dt) : Number.NaN
    const notBefore = typeof retry.not_before === 'string' ? Date.parse(retry.not_before) : Number.NaN
    const due = Math.max((Number.isNaN(since) ? now() : since) + retryDelayMs(retriesLeft, rule.retry), Number.isNaN(notBefore) ? 0 : notBefore)
    await waiting('retry', due - now(), signal)
    metrics.delay.observe({ rule: rule.name, source: 'retry' }, Math.max(0, now() - due) / 1000)
  }

  /** Waits for an event's time, counted as waiting (it holds no execution slot meanwhile). */
  async function waiting (source: ChangepropSource, ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0) return
    metrics.waiting.inc({ rule: rule.name, source })
    try {
      await sleep(ms, waitSignal(signal))
    } finally {
      metrics.waiting.dec({ rule: rule.name, source })
    }
  }

  /** When a rule with `delay` or `delay_until` runs the event: the later of the two; undefined when neither applies. */
  function dueTimeOf (delay: CompiledDelay, context: TemplateContext, event: ChangeEvent, message: ConsumedMessage): number | undefined {
    let due: number | undefined
    if (delay.afterMs !== undefined) {
      // From the event's time; an event without one, from its record's.
      const dt = typeof event.meta.dt === 'string' ? Date.parse(event.meta.dt) : Number.NaN
      due = (Number.isNaN(dt) ? Number(message.timestamp) : dt) + delay.afterMs
    }
    const until = delay.until === undefined ? undefined : timeOf(delay.until(context))
    if (until !== undefined) due = Math.max(due ?? until, until)
    return due
  }

  function observeDelay (event: ChangeEvent): void {
    const dt = typeof event.meta.dt === 'string' ? Date.parse(event.meta.dt) : Number.NaN
    if (!Number.isNaN(dt)) metrics.delay.observe({ rule: rule.name, source: 'main' }, Math.max(0, now() - dt) / 1000)
  }

  function attemptOf (source: ChangepropSource, topic: string, message: ConsumedMessage, event: ChangeEvent, handled: ChangeEvent,
    retriesLeft: number | undefined, found: RuleMatch): Attempt {
    const chain = triggeredBy(handled, source === 'retry' ? retryStreamOf(deps.service, topic) : source === 'delay' ? delayStreamOf(deps.service, topic) : topic)
    const trace = parseTraceparent(message.headers.traceparent, message.headers.tracestate)
    return { source, topic, message, event, handled, retriesLeft, found, chain, trace }
  }

  /** A dedupe or limiter store that fails lets the event through rather than stalling the rule. */
  async function failOpen<T> (store: 'dedupe' | 'limiter', fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      metrics.stateStoreErrors.inc({ store })
      log.warn({ err }, `${store} store failed; letting the event through`)
      return fallback
    }
  }

  /** The stream of a consumed topic (topics are subscribed by their stream's name, so it has one). */
  function streamOfTopic (topic: string): string {
    return streamOf(topic, consumed) ?? topic
  }

  function count (source: ChangepropSource, result: EventResult): void {
    metrics.events.inc({ rule: rule.name, source, result })
  }
}

/**
 * The time `delay_until` rendered, in milliseconds since the epoch: a number is one already; a
 * text is an ISO 8601 date (MediaWiki's jobs carry `delay_until` so) or an RFC 822 one; nothing
 * (undefined, null, '') means no delay. Anything else fails the event's template.
 */
export function timeOf (value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string') {
    const text = value.trim()
    if (/^\d{4}-\d{2}-\d{2}/.test(text) || /^[A-Z][a-z]{2}, /.test(text)) {
      const parsed = Date.parse(text)
      if (!Number.isNaN(parsed)) return parsed
    }
  }
  throw new TemplateRenderError(`delay_until rendered to ${JSON.stringify(value)}, which is not a time (an ISO 8601 date, an RFC 822 date or milliseconds since the epoch)`)
}
