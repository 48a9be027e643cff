import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createStreamLimits } from '../../../src/gateway/pipeline/stream-limits.js'

const settings = { schema_title: 'x', rate_limit: { events_per_second: 2, burst: 3 } }

function admitted (limits: ReturnType<typeof createStreamLimits>, at: number, rate = true): boolean {
  try {
    limits.admit('s', settings, 'x'.repeat(10), 1, at, { rate })
    return true
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'SLUICE_ERR_STREAM_RATE_LIMITED')
    return false
  }
}

test('the rate is a token bucket: a burst, then events_per_second as time passes', () => {
  const limits = createStreamLimits()
  assert.deepEqual([0, 0, 0, 0].map((at) => admitted(limits, at)), [true, true, true, false])
  assert.equal(admitted(limits, 499), false, 'not a whole token yet')
  assert.equal(admitted(limits, 500), true, 'one token after 0.5 s at 2/s')
  assert.deepEqual([10000, 10000, 10000, 10000].map((at) => admitted(limits, at)), [true, true, true, false], 'refills up to the burst, no more')
})

test('a refused event says when a token will be there', () => {
  const limits = createStreamLimits()
  for (let i = 0; i < 3; i++) limits.admit('s', settings, 'x'.repeat(10), 1, 0, { rate: true })
  assert.throws(() => { limits.admit('s', settings, 'x'.repeat(10), 1, 100, { rate: true }) }, (err: { retryAfterMs?: number }) => err.retryAfterMs === 400)
})

test('validate-only does not use up the rate; size and per-request limits apply all the same', () => {
  const limits = createStreamLimits()
  for (let i = 0; i < 10; i++) assert.equal(admitted(limits, 0, false), true)
  assert.deepEqual([0, 0, 0, 0].map((at) => admitted(limits, at)), [true, true, true, false])
  const sized = { schema_title: 'x', max_event_bytes: 100, max_events_per_request: 2 }
  assert.throws(() => { limits.admit('t', sized, 'x'.repeat(101), 1, 0, { rate: false }) }, /SLUICE_ERR_STREAM_EVENT_TOO_LARGE|at most 100/)
  assert.throws(() => { limits.admit('t', sized, 'x'.repeat(100), 3, 0, { rate: false }) }, (err: { code?: string }) => err.code === 'SLUICE_ERR_STREAM_TOO_MANY_EVENTS')
  limits.admit('t', sized, 'x'.repeat(100), 2, 0, { rate: false })
})

test('a changed rate_limit starts a fresh bucket', () => {
  const limits = createStreamLimits()
  for (let i = 0; i < 3; i++) limits.admit('s', settings, 'x'.repeat(10), 1, 0, { rate: true })
  limits.admit('s', { schema_title: 'x', rate_limit: { events_per_second: 2, burst: 5 } }, 'x'.repeat(10), 1, 0, { rate: true })
})
