import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createChangeprop, loadChangepropConfig } from '../../src/changeprop/index.js'
import type { Changeprop } from '../../src/changeprop/index.js'
import type { ReadinessBody } from '../../src/service/index.js'
import { startOwnBroker } from '../helpers/own-broker.js'
import type { OwnBroker } from '../helpers/own-broker.js'
import { testLogger } from '../helpers/logger.js'
import { waitFor } from '../helpers/wait.js'
import { seedRule } from './helpers/rules.js'
import { startSink } from './helpers/sink.js'

// Change propagation against a broker of its own that these tests kill, restart and pause:
// /readyz follows Kafka with no event flowing, and shutdown keeps its bound when Kafka hangs.

// The broker's smallest allowed session (group.min.session.timeout.ms), so the rejoin after a
// restart is quick.
const sessionTimeoutMs = 6000

async function start (t: TestContext, broker: OwnBroker, lines: string[] = []): Promise<{ changeprop: Changeprop, base: string }> {
  const sink = await startSink()
  t.after(async () => { await sink.close() })
  const config = await loadChangepropConfig(undefined, {}, {
    service_name: `cp${randomUUID().slice(0, 8)}`,
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: `t${randomUUID().slice(0, 8)}.`,
    shutdown_timeout_ms: 2000,
    kafka: { brokers: [broker.bootstrap], commit_interval_ms: 20, session_timeout_ms: sessionTimeoutMs, heartbeat_interval_ms: 500 },
    rules: { page_edit: seedRule(sink.origin) }
  })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: testLogger(lines) })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()
  return { changeprop, base: `http://127.0.0.1:${String(changeprop.port)}` }
}

async function readyz (base: string): Promise<{ status: number, body: ReadinessBody }> {
  const res = await fetch(`${base}/readyz`)
  return { status: res.status, body: await res.json() as ReadinessBody }
}

test('with no events flowing, /readyz follows a broker that is killed and restarted', async (t) => {
  const broker = await startOwnBroker(t)
  const { base } = await start(t, broker)
  await waitFor('change propagation to be ready', async () => (await readyz(base)).status === 200, 30000)

  broker.kill()
  const downMs = await waitFor('/readyz to answer 503', async () => (await readyz(base)).status === 503, 10000)
  t.diagnostic(`not ready ${downMs} ms after the broker was killed`)
  assert.ok(downMs < 5000, `not ready ${downMs} ms after the broker died`)
  // The consumers notice first; the producer's metadata probe says Kafka itself is gone.
  const producerDownMs = await waitFor('the body to name Kafka', async () => (await readyz(base)).body.checks?.kafka === false, 10000)
  t.diagnostic(`checks.kafka false ${downMs + producerDownMs} ms after the broker was killed`)
  assert.ok(downMs + producerDownMs < 5000)

  await broker.restart()
  const upMs = await waitFor('/readyz to answer 200 again', async () => (await readyz(base)).status === 200, 30000)
  t.diagnostic(`ready again ${upMs} ms after the broker answered`)
  // The restarted coordinator still holds each consumer's previous membership, and a rejoin
  // under a new member id completes once that one's session has expired: the documented bound
  // is the session timeout plus a few seconds.
  assert.ok(upMs < sessionTimeoutMs + 5000, `ready again ${upMs} ms after the broker answered`)
})

test('shutdown keeps to shutdown_timeout_ms while Kafka hangs, and logs what it abandoned', async (t) => {
  const broker = await startOwnBroker(t)
  const lines: string[] = []
  const { changeprop, base } = await start(t, broker, lines)
  await waitFor('change propagation to be ready', async () => (await readyz(base)).status === 200, 30000)

  broker.pause()
  t.after(() => { broker.resume() })
  const started = Date.now()
  await changeprop.close()
  const tookMs = Date.now() - started
  t.diagnostic(`close took ${tookMs} ms`)
  // The client's request timeout (10 s) is what a close without the bound would wait for; the
  // second of slack is the two shared cores' scheduling under a full test run, not the bound's.
  assert.ok(tookMs <= 2000 + 1000, `close took ${tookMs} ms`)
  assert.ok(lines.some((line) => line.includes('did not close within')), 'what was abandoned is logged')
})
