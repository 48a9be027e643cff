import { test } from 'node:test'
import assert from 'node:assert/strict'
import { seedRule } from './helpers/rules.js'
import { waitFor } from '../helpers/wait.js'
import { startChangeprop } from './helpers/start.js'

// /healthz is what a liveness probe restarts the process on, so it must turn 503 when a
// rule's consumer is dead for good, and only then.

async function get (url: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(url)
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

test('/healthz answers 200 while the consumers run', async (t) => {
  const cp = await startChangeprop(t, { page_edit: seedRule('http://127.0.0.1:1') })
  await waitFor('change propagation to be ready', () => cp.changeprop.isReady())
  assert.deepEqual(await get(`${cp.admin}/healthz`), { status: 200, body: { status: 'ok', started: true, closing: false, consumers_failed: [] } })
})

test('/healthz answers 503 naming the rule once its consumer crashed for good', async (t) => {
  // The broker refuses to let a member with a session timeout below its
  // group.min.session.timeout.ms (6 s) join: a non-retriable error, after which the consumer
  // is not restarted.
  const cp = await startChangeprop(t, { page_edit: seedRule('http://127.0.0.1:1') }, { kafka: { session_timeout_ms: 1000, heartbeat_interval_ms: 100 } })
  // Each of the rule's two consumers (main and retry) fails on its own join; /healthz turns 503
  // at the first, so wait until it names both.
  await waitFor('/healthz to name both consumers', async () => {
    const answer = await get(`${cp.admin}/healthz`)
    return answer.status !== 200 && (answer.body.consumers_failed as unknown[]).length === 2
  })
  const health = await get(`${cp.admin}/healthz`)
  assert.equal(health.status, 503)
  assert.equal(health.body.status, 'unavailable')
  assert.deepEqual(health.body.consumers_failed, ['page_edit', 'page_edit (retry)'])
  const ready = await get(`${cp.admin}/readyz`)
  assert.equal(ready.status, 503, 'a crashed consumer is not ready either')
})
