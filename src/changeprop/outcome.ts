/**
 * What one exec step's result means for the event, decided by pure functions so the
 * policy can be read (and tested) apart from the HTTP and Kafka code.
 */

import { parseRetryAfter, retryAfterDelayMs } from './retry-after.js'

/** `404`, `'404'`, `'5xx'` (500–599) or `'50x'` (500–509): each `x` stands for one digit. */
export type StatusPattern = number | string

export type StatusMatcher = (status: number) => boolean

export const statusPatternShape = /^[1-5][0-9x][0-9x]$/

/** Throws a plain Error naming the bad pattern; callers add the rule and pointer. */
export function compileStatusPatterns (patterns: readonly StatusPattern[]): StatusMatcher {
  const checks = patterns.map((pattern): StatusMatcher => {
    const text = String(pattern)
    if (!statusPatternShape.test(text)) {
      throw new Error(`'${text}' is not a status or status pattern (like 404, '5xx' or '50x')`)
    }
    const regex = new RegExp(`^${text.replaceAll('x', '\\d')}$`)
    return (status) => regex.test(String(status))
  })
  return (status) => checks.some((check) => check(status))
}

export interface OutcomePolicy {
  /** Failures that are retried (network errors and timeouts always are). */
  retryOn: StatusMatcher
  /** Failures treated as success; later steps still run. */
  ignore: StatusMatcher
  /** Answers whose valid `Retry-After` is honoured, and retried even when `retryOn` does not list them. */
  retryAfter?: RetryAfterPolicy
}

export interface RetryAfterPolicy {
  statuses: ReadonlySet<number>
  /** A longer wait is cut to this. */
  maxDelayMs: number
}

/** The result of running one exec step. */
export type StepResult =
  /** `truncated`: the body was longer than the bytes kept of it. */
  | { kind: 'response', status: number, headers: Record<string, string>, body: string, truncated?: boolean }
  | { kind: 'network', error: Error }
  | { kind: 'timeout', timeoutMs: number }
  | { kind: 'produced', count: number }
  | { kind: 'produce-failed', error: Error }
  /** Kafka refused the events for good (too large, invalid topic, not authorized): not retried. */
  | { kind: 'produce-refused', error: Error }
  | { kind: 'render-failed', error: Error }

/**
 * - `ok`: success (2xx, 3xx: redirects are not followed), go on with the next step;
 * - `ignored`: a failure listed in `ignore`, treated as success;
 * - `retry`: abort the remaining steps and retry the whole event later;
 * - `fail`: abort and send the event to the error topic.
 */
export type StepVerdict = 'ok' | 'ignored' | 'retry' | 'fail'

export function judgeStep (result: StepResult, policy: OutcomePolicy): StepVerdict {
  switch (result.kind) {
    case 'produced':
      return 'ok'
    case 'network':
    case 'timeout':
    case 'produce-failed':
      return 'retry'
    case 'render-failed':
    case 'produce-refused':
      return 'fail'
    case 'response':
      if (result.status < 400) return 'ok'
      if (policy.ignore(result.status)) return 'ignored'
      if (policy.retryOn(result.status) || asksToRetryLater(result, policy)) return 'retry'
      return 'fail'
  }
}

/** A 429 or 503 (by default) with a valid `Retry-After`: the target said when to come back. */
export function asksToRetryLater (result: StepResult, policy: OutcomePolicy): boolean {
  return result.kind === 'response' && policy.retryAfter?.statuses.has(result.status) === true &&
    parseRetryAfter(result.headers['retry-after']) !== undefined
}

/** How long from `now` the retry of this failure must wait because the target asked it to; undefined when it did not. */
export function askedRetryDelayMs (result: StepResult, policy: OutcomePolicy, now: number): number | undefined {
  if (result.kind !== 'response' || policy.retryAfter === undefined || !asksToRetryLater(result, policy)) return undefined
  return retryAfterDelayMs(result.headers, now, policy.retryAfter.maxDelayMs)
}

/**
 * What a finished execution says of the rule's target, for its back-off (throttle.ts):
 * `failed` when it did not answer, answered 5xx or 429; `answered` when it answered anything
 * else; `neutral` when it asked for a later retry (that event waits; other events carry on) or
 * was never called (a template failed, Kafka refused events for good).
 */
export type TargetHealth = 'answered' | 'failed' | 'neutral'

export function targetHealth (result: StepResult | undefined, policy: OutcomePolicy): TargetHealth {
  if (result === undefined) return 'answered'
  switch (result.kind) {
    case 'network':
    case 'timeout':
    case 'produce-failed':
      return 'failed'
    case 'render-failed':
    case 'produce-refused':
      return 'neutral'
    case 'produced':
      return 'answered'
    case 'response':
      if (asksToRetryLater(result, policy)) return 'neutral'
      return result.status >= 500 || result.status === 429 ? 'failed' : 'answered'
  }
}

/** A closed label value for metrics: '2xx'…'5xx', 'network', 'timeout', 'produce', 'template'. */
export function statusClass (result: StepResult): string {
  switch (result.kind) {
    case 'response': return `${Math.min(Math.max(Math.floor(result.status / 100), 1), 5)}xx`
    case 'network': return 'network'
    case 'timeout': return 'timeout'
    case 'produced':
    case 'produce-failed':
    case 'produce-refused': return 'produce'
    case 'render-failed': return 'template'
  }
}

export interface RetryPolicy {
  /** Retries after the first attempt; 0 means none. */
  retryLimit: number
  /** Delay before the first retry, in milliseconds. */
  retryDelayMs: number
  retryFactor: number
}

/**
 * `retries_left` for the retry event to produce after a failed attempt, or undefined when
 * no retry is left. `current` is the handled retry event's `retries_left`, undefined for
 * a first attempt. The first failure produces `retry_limit`, each later one one less, so a
 * rule makes `1 + retry_limit` attempts in all.
 */
export function nextRetriesLeft (current: number | undefined, policy: RetryPolicy): number | undefined {
  const next = current === undefined ? policy.retryLimit : current - 1
  return next > 0 ? next : undefined
}

/** Zero-based index of the retry carrying `retriesLeft`: 0 for the first retry. */
export function retryIndex (retriesLeft: number, policy: RetryPolicy): number {
  return Math.max(0, policy.retryLimit - retriesLeft)
}

/** How long after the retry event's time the retry runs: `retry_delay * retry_factor^index`. */
export function retryDelayMs (retriesLeft: number, policy: RetryPolicy): number {
  return policy.retryDelayMs * policy.retryFactor ** retryIndex(retriesLeft, policy)
}
