import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRuleThrottle } from '../../src/changeprop/throttle.js'
import type { ThrottleWaitReason } from '../../src/changeprop/throttle.js'

const signal = new AbortController().signal

test('rate_limit: a burst starts at once, then one execution per interval, each at its reserved time', async () => {
  const clock = { now: 1_000_000 }
  const waits: Array<[ThrottleWaitReason, number]> = []
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 1000, burst: 3 }, now: () => clock.now, onWait: (reason, ms) => waits.push([reason, ms]) })
  for (let i = 0; i < 8; i++) await throttle.admit(signal)
  // Three from the burst, then 1 ms apart: the fourth waits 1 ms, the eighth 5 ms (the clock stood still).
  assert.deepEqual(waits, [1, 2, 3, 4, 5].map((ms) => ['rate_limit', ms]))
  // After an idle second the bucket is full again, never fuller.
  clock.now += 1000
  waits.length = 0
  for (let i = 0; i < 4; i++) await throttle.admit(signal)
  assert.deepEqual(waits, [['rate_limit', 1]])
})

test('rate_limit: under a backlog, burst + rate × seconds executions start in a window, whatever its length', () => {
  // A backlog: each execution asks as soon as the one before it started, and starts at the time
  // it reserved (the clock jumps there, as the execution's timer would).
  const clock = { now: 0 }
  let start = 0
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 50, burst: 10 }, now: () => clock.now, onWait: (_reason, ms) => { start = clock.now + ms } })
  const shutdown = new AbortController()
  const starts: number[] = []
  for (let i = 0; i < 4000; i++) {
    start = clock.now
    throttle.admit(shutdown.signal).catch(() => undefined)
    starts.push(start)
    clock.now = start
  }
  shutdown.abort()
  for (const seconds of [1, 10, 60]) {
    assert.equal(starts.filter((at) => at <= seconds * 1000).length, 10 + 50 * seconds, `${seconds} s`)
  }
})

test('failure_backoff: starts after the failures in a row, grows once per probe up to its maximum, and counts no neutral outcome', async () => {
  const changes: number[] = []
  const throttle = createRuleThrottle({ backoff: { after: 3, initialMs: 20, maxMs: 70 }, onBackoff: (ms) => changes.push(ms) })
  // Three executions in flight together, all failing: the back-off starts at its first delay.
  const tickets = await Promise.all([throttle.admit(signal), throttle.admit(signal), throttle.admit(signal)])
  throttle.settle(tickets[0] as never, 'failed')
  throttle.settle(tickets[1] as never, 'neutral')
  throttle.settle(tickets[1] as never, 'failed')
  assert.equal(throttle.backoffMs(), 0, 'two failures in a row, and a neutral outcome that does not count')
  throttle.settle(tickets[2] as never, 'failed')
  assert.equal(throttle.backoffMs(), 20)
  // A straggler of the same generation as the others fails too: no growth.
  throttle.settle(tickets[0] as never, 'failed')
  assert.equal(throttle.backoffMs(), 20)
  // Probes: each failing one doubles the delay, up to the maximum.
  for (const expected of [40, 70, 70]) {
    const ticket = await throttle.admit(signal)
    throttle.settle(ticket, 'failed')
    assert.equal(throttle.backoffMs(), expected)
  }
  assert.deepEqual(changes, [20, 40, 70, 70])
})

test('failure_backoff: while backing off, executions start one per delay', async () => {
  const throttle = createRuleThrottle({ backoff: { after: 1, initialMs: 150, maxMs: 150 } })
  throttle.settle(await throttle.admit(signal), 'failed')
  const started = performance.now()
  await throttle.admit(signal)
  const first = performance.now() - started
  await throttle.admit(signal)
  const second = performance.now() - started
  assert.ok(first >= 140, `the first probe waited the delay (${first} ms)`)
  assert.ok(second - first >= 140, `the next one waited the delay again (${second - first} ms)`)
})

test('failure_backoff: the first execution the target answers ends it, and the waiting executions start at once', async () => {
  const changes: number[] = []
  const throttle = createRuleThrottle({ backoff: { after: 1, initialMs: 60000, maxMs: 60000 }, onBackoff: (ms) => changes.push(ms) })
  const straggler = await throttle.admit(signal)
  throttle.settle(await throttle.admit(signal), 'failed')
  assert.equal(throttle.backoffMs(), 60000)
  const started = performance.now()
  const waiting = [throttle.admit(signal), throttle.admit(signal)]
  // The execution admitted before the back-off started comes back answered.
  setTimeout(() => { throttle.settle(straggler, 'answered') }, 20)
  await Promise.all(waiting)
  assert.ok(performance.now() - started < 10000, 'the waiting executions did not wait for the minute')
  assert.equal(throttle.backoffMs(), 0)
  assert.deepEqual(changes, [60000, 0])
})

test('a throttled wait ends with the signal (shutdown)', async () => {
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 0.001, burst: 1 } })
  await throttle.admit(signal)
  const shutdown = new AbortController()
  const waiting = throttle.admit(shutdown.signal)
  shutdown.abort(new Error('shutting down'))
  await assert.rejects(waiting, /shutting down/)
})
