import { test } from 'node:test'
import assert from 'node:assert/strict'
import { askedRetryDelayMs, compileStatusPatterns, judgeStep, nextRetriesLeft, retryDelayMs, statusClass, targetHealth } from '../../src/changeprop/outcome.js'
import type { StepResult } from '../../src/changeprop/outcome.js'

test('status patterns: exact codes, xx classes and x digits', () => {
  const match = compileStatusPatterns(['5xx', 404, '41x'])
  for (const status of [500, 503, 599, 404, 410, 419]) assert.equal(match(status), true, String(status))
  for (const status of [200, 400, 403, 420, 600]) assert.equal(match(status), false, String(status))
  const narrow = compileStatusPatterns(['50x'])
  assert.equal(narrow(509), true)
  assert.equal(narrow(510), false)
  assert.equal(compileStatusPatterns([])(500), false)
})

test('bad status patterns are refused', () => {
  for (const bad of ['5XX', '5x', 'abc', 600, '600', 99, '4044']) {
    assert.throws(() => compileStatusPatterns([bad]), /not a status/, String(bad))
  }
})

const policy = { retryOn: compileStatusPatterns(['5xx', 404]), ignore: compileStatusPatterns([412]) }
const response = (status: number): StepResult => ({ kind: 'response', status, headers: {}, body: '' })

test('the verdict of one step', () => {
  assert.equal(judgeStep(response(200), policy), 'ok')
  assert.equal(judgeStep(response(301), policy), 'ok')
  assert.equal(judgeStep(response(412), policy), 'ignored')
  assert.equal(judgeStep(response(404), policy), 'retry')
  assert.equal(judgeStep(response(503), policy), 'retry')
  assert.equal(judgeStep(response(400), policy), 'fail')
  assert.equal(judgeStep(response(429), policy), 'fail')
  assert.equal(judgeStep({ kind: 'network', error: new Error('ECONNREFUSED') }, policy), 'retry')
  assert.equal(judgeStep({ kind: 'timeout', timeoutMs: 5 }, policy), 'retry')
  assert.equal(judgeStep({ kind: 'produce-failed', error: new Error('broker') }, policy), 'retry')
  assert.equal(judgeStep({ kind: 'render-failed', error: new Error('date') }, policy), 'fail')
  assert.equal(judgeStep({ kind: 'produced', count: 2 }, policy), 'ok')
})

test('network errors and timeouts are retried even when retry_on lists no status', () => {
  const none = { retryOn: compileStatusPatterns([]), ignore: compileStatusPatterns([]) }
  assert.equal(judgeStep({ kind: 'timeout', timeoutMs: 5 }, none), 'retry')
  assert.equal(judgeStep(response(500), none), 'fail')
})

test('status classes are a closed set', () => {
  assert.equal(statusClass(response(204)), '2xx')
  assert.equal(statusClass(response(503)), '5xx')
  assert.equal(statusClass({ kind: 'timeout', timeoutMs: 1 }), 'timeout')
  assert.equal(statusClass({ kind: 'network', error: new Error('x') }), 'network')
})

test('retries_left counts down to 1 + retry_limit attempts in all', () => {
  const two = { retryLimit: 2, retryDelayMs: 10, retryFactor: 6 }
  assert.equal(nextRetriesLeft(undefined, two), 2)
  assert.equal(nextRetriesLeft(2, two), 1)
  assert.equal(nextRetriesLeft(1, two), undefined)
  const zero = { retryLimit: 0, retryDelayMs: 10, retryFactor: 6 }
  assert.equal(nextRetriesLeft(undefined, zero), undefined, 'retry_limit: 0 means no retry at all')
})

test('the retry delay grows by retry_factor per retry', () => {
  const policy = { retryLimit: 3, retryDelayMs: 10, retryFactor: 6 }
  assert.equal(retryDelayMs(3, policy), 10)
  assert.equal(retryDelayMs(2, policy), 60)
  assert.equal(retryDelayMs(1, policy), 360)
  assert.equal(retryDelayMs(5, policy), 10, 'a retries_left above the limit (the limit was lowered) waits the base delay')
  assert.equal(retryDelayMs(1, { retryLimit: 1, retryDelayMs: 0, retryFactor: 6 }), 0, 'retry_delay: 0 means no delay')
})

const withRetryAfter = { ...policy, retryAfter: { statuses: new Set([429, 503]), maxDelayMs: 600000 } }
const asking = (status: number, retryAfter: string): StepResult => ({ kind: 'response', status, headers: { 'retry-after': retryAfter }, body: '' })

test('a 429 or 503 with a valid Retry-After is retried even when retry_on does not list it; without one, retry_on decides', () => {
  assert.equal(judgeStep(asking(429, '30'), withRetryAfter), 'retry')
  assert.equal(judgeStep(asking(429, 'Wed, 21 Oct 2015 07:28:00 GMT'), withRetryAfter), 'retry')
  assert.equal(judgeStep(response(429), withRetryAfter), 'fail', 'no Retry-After: 429 is not in retry_on')
  assert.equal(judgeStep(asking(429, 'later'), withRetryAfter), 'fail', 'an invalid Retry-After is none')
  assert.equal(judgeStep(asking(429, '30'), policy), 'fail', 'a policy that honours no Retry-After')
  assert.equal(judgeStep(asking(400, '30'), withRetryAfter), 'fail', 'a status not listed in retry_after.statuses')
  const ignoring = { ...withRetryAfter, ignore: compileStatusPatterns([429]) }
  assert.equal(judgeStep(asking(429, '30'), ignoring), 'ignored', 'ignore wins')
})

test('the wait a failure asks its retry for, cut to the maximum', () => {
  const now = Date.parse('2015-10-21T07:28:00Z')
  assert.equal(askedRetryDelayMs(asking(503, '30'), withRetryAfter, now), 30000)
  assert.equal(askedRetryDelayMs(asking(503, '3600'), withRetryAfter, now), 600000)
  assert.equal(askedRetryDelayMs(response(503), withRetryAfter, now), undefined)
  assert.equal(askedRetryDelayMs({ kind: 'timeout', timeoutMs: 5 }, withRetryAfter, now), undefined)
})

test('what an execution says of its target, for the back-off', () => {
  assert.equal(targetHealth(undefined, withRetryAfter), 'answered', 'every step succeeded')
  assert.equal(targetHealth(response(404), withRetryAfter), 'answered', 'a 4xx is an answer')
  for (const failed of [response(500), response(503), response(429), { kind: 'timeout', timeoutMs: 5 } as const, { kind: 'network', error: new Error('reset') } as const]) {
    assert.equal(targetHealth(failed, withRetryAfter), 'failed', JSON.stringify(failed))
  }
  assert.equal(targetHealth(asking(503, '30'), withRetryAfter), 'neutral', 'the target said when: only that event waits')
  assert.equal(targetHealth({ kind: 'render-failed', error: new Error('template') }, withRetryAfter), 'neutral', 'never called')
})
