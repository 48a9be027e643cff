import type { ConsumedMessage } from '../../kafka/index.js'
import type { ChangepropSource } from '../../metrics/changeprop.js'
import { delayStreamOf, delayedStreamOf, retriedStreamOf, retryStreamOf, streamOf } from '../../stream-config/index.js'
import { parseTraceparent } from '../../trace-context.js'
import type { Attempt } from '../attempt.js'
import { triggeredBy } from '../chain.js'
import type { ChangeEvent } from '../decode.js'
import { isChangeEvent } from '../decode.js'
import { EventMalformedError } from '../errors.js'
import type { RuleMatch } from '../rules/compile.js'
import { waiting, waitUntilDue } from './due-time.js'
import { runAttempt } from './run.js'
import { count, waitSignal } from './scope.js'
import type { RuleScope } from './scope.js'

// What the rule's consumers hand each message to: decode, check the envelope of a retry or delay
// event and wait for its time, match, then run the attempt (run.ts).

/** A message of one of the rule's topics. */
export async function handleMain (scope: RuleScope, message: ConsumedMessage, signal: AbortSignal): Promise<void> {
  const { rule, metrics } = scope
  metrics.inFlight.inc({ rule: rule.name, source: 'main' })
  try {
    const decoded = scope.decode(message)
    if (!decoded.ok) return await malformed(scope, 'main', decoded.raw, decoded.error, signal)
    const found = rule.test(decoded.event)
    if (found === undefined) return count(scope, 'main', 'unmatched')
    observeDelay(scope, decoded.event)
    await runAttempt(scope, attemptOf(scope, 'main', streamOfTopic(scope, message.topic), message, decoded.event, decoded.event, undefined, found), signal)
  } finally {
    metrics.inFlight.dec({ rule: rule.name, source: 'main' })
  }
}

/** A message of the rule's retry topics, or of its delay topics (handleDelayed). */
export async function handleRetry (scope: RuleScope, message: ConsumedMessage, signal: AbortSignal): Promise<void> {
  const { rule, deps, metrics } = scope
  const delayedTopic = delayedStreamOf(deps.service, message.topic, scope.consumed)
  if (delayedTopic !== undefined) return handleDelayed(scope, message, delayedTopic, signal)
  metrics.inFlight.inc({ rule: rule.name, source: 'retry' })
  try {
    const decoded = scope.decode(message)
    if (!decoded.ok) return await malformed(scope, 'retry', decoded.raw, decoded.error, signal)
    const retry = decoded.event
    // Every rule on a topic reads the same retry topic; each takes only its own retries.
    if (retry.emitter_id !== scope.emitterId) return count(scope, 'retry', 'foreign')
    const { original_event: original, retries_left: retriesLeft } = retry
    if (!isChangeEvent(original) || typeof retriesLeft !== 'number' || !Number.isInteger(retriesLeft) || retriesLeft < 1) {
      return await malformed(scope, 'retry', message.value?.toString('utf8') ?? '', new EventMalformedError('a retry event needs original_event (with meta) and a positive integer retries_left'), signal)
    }
    await waitUntilDue(scope, retry, retriesLeft, signal)
    const found = rule.test(original)
    if (found === undefined) return count(scope, 'retry', 'unmatched')
    const topic = retriedStreamOf(deps.service, message.topic, scope.consumed) ?? streamOfTopic(scope, message.topic)
    await scope.deferredSlots.run(async () => runAttempt(scope, attemptOf(scope, 'retry', topic, message, original, retry, retriesLeft, found), signal), waitSignal(scope, signal))
  } finally {
    metrics.inFlight.dec({ rule: rule.name, source: 'retry' })
  }
}

/**
 * An event of the rule's delay topic: waits until its `delay_until` (at most `delayHoldMaxMs`
 * in memory: one due later goes back to the end of the topic), then runs as the first attempt.
 */
async function handleDelayed (scope: RuleScope, message: ConsumedMessage, topic: string, signal: AbortSignal): Promise<void> {
  const { rule, metrics, now } = scope
  metrics.inFlight.inc({ rule: rule.name, source: 'delay' })
  try {
    const decoded = scope.decode(message)
    if (!decoded.ok) return await malformed(scope, 'delay', decoded.raw, decoded.error, signal)
    const delayed = decoded.event
    if (delayed.emitter_id !== scope.emitterId) return count(scope, 'delay', 'foreign')
    const original = delayed.original_event
    const until = typeof delayed.delay_until === 'string' ? Date.parse(delayed.delay_until) : Number.NaN
    if (!isChangeEvent(original) || Number.isNaN(until)) {
      return await malformed(scope, 'delay', message.value?.toString('utf8') ?? '', new EventMalformedError('a delay event needs original_event (with meta) and a delay_until date'), signal)
    }
    if (until - now() > scope.delayHoldMaxMs) {
      await waiting(scope, 'delay', scope.delayHoldMaxMs, signal)
      count(scope, 'delay', 'requeued')
      return await scope.failures.requeue(message, signal)
    }
    await waiting(scope, 'delay', until - now(), signal)
    metrics.delay.observe({ rule: rule.name, source: 'delay' }, Math.max(0, now() - until) / 1000)
    const found = rule.test(original)
    if (found === undefined) return count(scope, 'delay', 'unmatched')
    await scope.deferredSlots.run(async () => runAttempt(scope, attemptOf(scope, 'delay', topic, message, original, delayed, undefined, found), signal), waitSignal(scope, signal))
  } finally {
    metrics.inFlight.dec({ rule: rule.name, source: 'delay' })
  }
}

async function malformed (scope: RuleScope, source: ChangepropSource, raw: string, error: EventMalformedError, signal: AbortSignal): Promise<void> {
  count(scope, source, 'malformed')
  scope.log.warn({ err: error, source }, 'malformed message; sending it to the error topic')
  await scope.failures.error({ handled: undefined, raw, error, reason: 'malformed' }, signal)
}

function observeDelay (scope: RuleScope, event: ChangeEvent): void {
  const dt = typeof event.meta.dt === 'string' ? Date.parse(event.meta.dt) : Number.NaN
  if (!Number.isNaN(dt)) scope.metrics.delay.observe({ rule: scope.rule.name, source: 'main' }, Math.max(0, scope.now() - dt) / 1000)
}

function attemptOf (scope: RuleScope, source: ChangepropSource, topic: string, message: ConsumedMessage, event: ChangeEvent, handled: ChangeEvent,
  retriesLeft: number | undefined, found: RuleMatch): Attempt {
  const { service } = scope.deps
  const chain = triggeredBy(handled, source === 'retry' ? retryStreamOf(service, topic) : source === 'delay' ? delayStreamOf(service, topic) : topic)
  const trace = parseTraceparent(message.headers.traceparent, message.headers.tracestate)
  return { source, topic, message, event, handled, retriesLeft, found, chain, trace }
}

/** The stream of a consumed topic (topics are subscribed by their stream's name, so it has one). */
function streamOfTopic (scope: RuleScope, topic: string): string {
  return streamOf(topic, scope.consumed) ?? topic
}
