import type { Logger } from '../../logger.js'
import type { Attempt } from '../attempt.js'
import { RetriesExhaustedError } from '../errors.js'
import { failureError, failureStatus } from '../failure-events.js'
import type { StepResult, StepVerdict } from '../outcome.js'
import { askedRetryDelayMs, nextRetriesLeft } from '../outcome.js'
import { failOpen } from './scope.js'
import type { RuleScope } from './scope.js'

/** The failure budgets an attempt counts against: each limiter of its case, with the key it rendered. */
export type LimiterKeys = Array<{ type: string, key: string }>

/** A failed step: counts against the limiters, then becomes a retry event while retries are left, else an error event. */
export async function handleFailure (scope: RuleScope, attempt: Attempt, result: StepResult, verdict: StepVerdict, limiterKeys: LimiterKeys, eventLog: () => Logger, signal: AbortSignal): Promise<void> {
  const { rule, deps, metrics, now } = scope
  const status = failureStatus(result)
  if (status !== undefined && status >= 500) {
    for (const { type, key } of limiterKeys) await failOpen(scope, 'limiter', undefined, async () => deps.limiter.recordFailure(type, key))
  }
  const error = failureError(result, verdict === 'retry')
  const retriesLeft = verdict === 'retry' ? nextRetriesLeft(attempt.retriesLeft, rule.retry) : undefined
  if (retriesLeft !== undefined) {
    // The target said when to come back (Retry-After): this event's retry waits that long.
    const askedMs = askedRetryDelayMs(result, rule.outcome, now())
    if (askedMs !== undefined) metrics.retryAfter.observe({ rule: rule.name }, askedMs / 1000)
    const notBefore = askedMs === undefined ? undefined : now() + askedMs
    eventLog().info({ err: error, retriesLeft, ...(notBefore === undefined ? {} : { notBefore: new Date(notBefore).toISOString() }) }, 'exec failed; retrying later')
    return scope.failures.retry(attempt, result, error, retriesLeft, signal, notBefore)
  }
  const reason = result.kind === 'render-failed' ? 'template' : result.kind === 'produce-refused' ? 'refused' : verdict === 'retry' ? 'exhausted' : 'status'
  const finalError = reason === 'exhausted' ? new RetriesExhaustedError(1 + rule.retry.retryLimit, { cause: error }) : error
  eventLog()[status !== undefined && status < 500 ? 'info' : 'error']({ err: finalError }, 'exec failed; sending the event to the error topic')
  await scope.failures.error({ handled: attempt.handled, raw: '', error: finalError, reason, failure: result, chain: attempt.chain, trace: attempt.trace }, signal)
}
