import { test } from 'node:test'
import assert from 'node:assert/strict'
import { retryUntilDone } from '../src/backoff.js'

function failing (times: number, err: unknown = new Error('not yet')): { attempt: () => Promise<string>, calls: () => number } {
  let calls = 0
  return {
    attempt: async () => {
      calls++
      if (calls <= times) throw err
      return 'done'
    },
    calls: () => calls
  }
}

test('retries until the work succeeds, doubling the delay up to the maximum', async () => {
  const work = failing(4)
  const delays: number[] = []
  const result = await retryUntilDone(work.attempt, { signal: new AbortController().signal, backoff: { initialMs: 1, maxMs: 4 }, onRetry: (_err, ms) => { delays.push(ms) } })
  assert.equal(result, 'done')
  assert.equal(work.calls(), 5)
  assert.deepEqual(delays, [1, 2, 4, 4])
})

test('a permanent failure is thrown at once, without a retry', async () => {
  const permanent = new Error('refused')
  const work = failing(1, permanent)
  const delays: number[] = []
  await assert.rejects(retryUntilDone(work.attempt, { signal: new AbortController().signal, isPermanent: (err) => err === permanent, onRetry: (_err, ms) => { delays.push(ms) } }), permanent)
  assert.equal(work.calls(), 1)
  assert.deepEqual(delays, [])
})

test('shutdown ends the wait at once and throws', async () => {
  const abort = new AbortController()
  const work = failing(Number.POSITIVE_INFINITY)
  const started = performance.now()
  const retrying = retryUntilDone(work.attempt, { signal: abort.signal, backoff: { initialMs: 60000, maxMs: 60000 }, onRetry: () => { abort.abort(new Error('shutting down')) } })
  await assert.rejects(retrying, /shutting down/)
  assert.ok(performance.now() - started < 5000, 'did not wait out the 60 s delay')
  assert.equal(work.calls(), 1)
})

test('stop() ends the retries with the last failure', async () => {
  let stopping = false
  const work = failing(Number.POSITIVE_INFINITY)
  await assert.rejects(retryUntilDone(work.attempt, { signal: new AbortController().signal, backoff: { initialMs: 1, maxMs: 1 }, stop: () => stopping, onRetry: () => { stopping = work.calls() >= 3 } }), /not yet/)
  assert.equal(work.calls(), 4)
})
