import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'undici'
import { fetchTopicOffsets } from '../../src/kafka/index.js'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway } from '../../src/gateway/index.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { readMessages, requireBrokers } from '../helpers/kafka.js'
import { startOwnBroker } from '../helpers/own-broker.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { waitFor } from '../helpers/wait.js'

// The gateway against a broker of its own that these tests kill, restart and pause. Readiness
// must follow Kafka with no request at all, and shutdown must keep its bound when Kafka hangs.

const event = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: '2026-01-01T00:00:00Z', test: 'x' }

async function startGateway (t: { after: (fn: () => Promise<void>) => void }, bootstrap: string, overrides: Record<string, unknown> = {}, lines?: string[]): Promise<{ gateway: Gateway, url: string }> {
  const config = testGatewayConfig({ port: 0, listen_address: '127.0.0.1', kafka: { brokers: [bootstrap] }, ...overrides })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger(lines) })
  t.after(async () => { await gateway.close() })
  return { gateway, url: await listen(gateway) }
}

async function readyz (url: string): Promise<{ status: number, checks: Record<string, boolean> }> {
  const res = await request(`${url}/readyz`)
  const body = await res.body.json() as { checks: Record<string, boolean> }
  return { status: res.statusCode, checks: body.checks }
}

async function metric (url: string, name: string): Promise<string | undefined> {
  const text = await (await request(`${url}/metrics`)).body.text()
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]
}

test('with no traffic at all, /readyz follows a broker that is killed and restarted', async (t) => {
  const broker = await startOwnBroker(t)
  // The default health check settings: the bound must hold out of the box.
  const { url } = await startGateway(t, broker.bootstrap)
  await waitFor('the gateway to be ready', async () => (await readyz(url)).status === 200)
  assert.equal(await metric(url, 'sluice_kafka_reachable'), '1')

  broker.kill()
  const downMs = await waitFor('/readyz to answer 503', async () => (await readyz(url)).status === 503, 10000)
  t.diagnostic(`not ready ${downMs} ms after the broker was killed`)
  assert.ok(downMs < 5000, `not ready ${downMs} ms after the broker died`)
  assert.deepEqual((await readyz(url)).checks, { kafka: false, stream_config: true }, 'the body names the failing check')
  assert.equal(await metric(url, 'sluice_kafka_reachable'), '0')
  assert.equal(await metric(url, 'sluice_kafka_up'), '0')

  await broker.restart()
  const upMs = await waitFor('/readyz to answer 200 again', async () => (await readyz(url)).status === 200, 20000)
  t.diagnostic(`ready again ${upMs} ms after the broker answered`)
  assert.ok(upMs < 10000, `ready again ${upMs} ms after the broker answered`)
  assert.equal(await metric(url, 'sluice_kafka_reachable'), '1')
  // Ready means usable: the first event after the outage is acknowledged.
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })
  await res.body.dump()
  assert.equal(res.statusCode, 201)
})

interface Answer { n: number, status: number, retryAfter: string | undefined, startedAt: number, ms: number }

/** Posts one event whose `test` field is `n-<n>`, and times the answer. */
async function post (url: string, dispatcher: Agent, n: number): Promise<Answer> {
  const startedAt = Date.now()
  const res = await request(`${url}/v1/events`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...event, test: `n-${n}` }) })
  await res.body.dump()
  const retryAfter = res.headers['retry-after']
  return { n, status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, startedAt, ms: Date.now() - startedAt }
}

function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

test('under load, a killed broker gets every POST a fast 503 with Retry-After, and nothing acknowledged is lost or written twice', async (t) => {
  const broker = await startOwnBroker(t)
  // The default produce and health check settings: the bound must hold out of the box.
  const { url } = await startGateway(t, broker.bootstrap)
  await waitFor('the gateway to be ready', async () => (await readyz(url)).status === 200)
  const workers = 16
  const dispatcher = new Agent({ connections: workers })
  t.after(async () => { await dispatcher.close() })

  const answers: Answer[] = []
  let next = 0
  let stopAt = Number.POSITIVE_INFINITY
  const load = Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < stopAt) answers.push(await post(url, dispatcher, next++))
  }))
  await waitFor('some events to be accepted', () => answers.filter((a) => a.status === 201).length >= 200, 20000, 10)
  const killedAt = Date.now()
  broker.kill()
  // Long enough for the client's metadata retries (2.4 s with the defaults) to show if a request waits for them.
  stopAt = killedAt + 4000
  await load

  const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503)
  assert.deepEqual(unexpected, [], 'every answer is 201 or 503')
  const refused = answers.filter((a) => a.status === 503)
  const latencies = refused.map((a) => a.ms)
  const p50 = percentile(latencies, 0.5)
  const max = Math.max(...latencies)
  t.diagnostic(`${answers.length} requests, ${refused.length} answered 503: p50 ${p50} ms, p99 ${percentile(latencies, 0.99)} ms, max ${max} ms`)
  assert.ok(refused.length >= 50, `only ${refused.length} requests were answered 503`)
  assert.ok(refused.every((a) => a.retryAfter !== undefined), 'every 503 has Retry-After')
  // Before, each waited for the client's retries: 2.4 s at the median, up to the produce timeout.
  // The bounds leave room for a loaded machine: alone, the median is a few ms and the maximum
  // about unavailable_wait_ms (500 ms) after the first retry.
  assert.ok(p50 <= 500, `503 p50 ${p50} ms`)
  assert.ok(max <= 2000, `503 max ${max} ms`)
  const lateAccepts = answers.filter((a) => a.status === 201 && a.startedAt > killedAt + 1000)
  assert.deepEqual(lateAccepts, [], 'nothing is accepted a second after the broker died')

  await broker.restart()
  const recoveredMs = await waitFor('an event to be accepted again', async () => (await post(url, dispatcher, next++)).status === 201, 20000, 100)
  t.diagnostic(`accepting again ${recoveredMs} ms after the broker answered`)

  const [partition] = await fetchTopicOffsets([broker.bootstrap], 'eqiad.test.event')
  const written = await readMessages('eqiad.test.event', Number(partition?.high ?? 0), { brokers: [broker.bootstrap], timeoutMs: 30000 })
  const copies = new Map<string, number>()
  for (const message of written) {
    const value = (JSON.parse(message.value) as { test: string }).test
    copies.set(value, (copies.get(value) ?? 0) + 1)
  }
  assert.deepEqual([...copies].filter(([, count]) => count > 1), [], 'no event is written twice')
  const lost = answers.filter((a) => a.status === 201 && !copies.has(`n-${a.n}`))
  assert.deepEqual(lost, [], 'every acknowledged event is in the topic')
  // Only a request under way when the broker died may have been written and still answered 503.
  const writtenAfter503 = refused.filter((a) => a.startedAt > killedAt && copies.has(`n-${a.n}`))
  assert.deepEqual(writtenAfter503, [], 'no event answered 503 is written later')
})

test('a broker address that accepts connections and never answers is neither "connected" nor ready', async (t) => {
  const silent = await startSilentServer(t)
  const lines: string[] = []
  const { url } = await startGateway(t, silent.address, { shutdown_grace_ms: 1000, kafka: { brokers: [silent.address], produce_timeout_ms: 500, health_check_timeout_ms: 300, health_check_interval_ms: 200 } }, lines)
  await waitFor('a first connection attempt to fail', () => lines.some((line) => line.includes('Kafka not reachable')), 10000)
  await waitFor('a second attempt to have reached the silent address', () => silent.connections >= 2, 10000)
  assert.deepEqual(await readyz(url), { status: 503, checks: { kafka: false, stream_config: true } })
  assert.ok(!lines.some((line) => line.includes('connected to Kafka')), 'never logged as connected')
})

test('a failed startup closes the producer it had created', async () => {
  const lines: string[] = []
  await assert.rejects(createGateway(testGatewayConfig({
    kafka: { brokers: requireBrokers() },
    schema_precache_uris: ['/test/no-such-schema/1.0.0']
  }), { cwd: fixturesDir, logger: testLogger(lines) }))
  assert.ok(lines.some((line) => line.includes('Kafka producer closed')), 'the producer was closed before createGateway rejected')
  // And nothing keeps probing Kafka: no socket is left open to the broker.
  await waitFor('every Kafka socket to close', () => !process.getActiveResourcesInfo().includes('TCPSocketWrap'), 10000)
})

test('shutdown keeps to shutdown_grace_ms while Kafka hangs, and logs what it abandoned', async (t) => {
  const broker = await startOwnBroker(t)
  const lines: string[] = []
  const { gateway, url } = await startGateway(t, broker.bootstrap, { shutdown_grace_ms: 2000, kafka: { brokers: [broker.bootstrap], produce_timeout_ms: 5000 } }, lines)
  await waitFor('the gateway to be ready', async () => (await readyz(url)).status === 200)

  broker.pause()
  t.after(() => { broker.resume() })
  // Accepted hastily: the produce is left waiting on a broker that never answers.
  const res = await request(`${url}/v1/events?hasty=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })
  await res.body.dump()
  assert.equal(res.statusCode, 202)

  const started = Date.now()
  await gateway.close()
  const tookMs = Date.now() - started
  t.diagnostic(`close took ${tookMs} ms`)
  assert.ok(tookMs <= 2000 + 250, `close took ${tookMs} ms`)
  assert.ok(lines.some((line) => line.includes('abandon')), 'what was abandoned is logged')
})
