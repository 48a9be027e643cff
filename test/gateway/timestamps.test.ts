import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import yaml from 'js-yaml'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import { readMessages, requireBrokers, testTmpDir } from '../helpers/kafka.js'
import type { ReadMessage } from '../helpers/kafka.js'
import { openStream } from '../helpers/sse.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { startStreamsFixture } from '../streams/fixture.js'

// The record timestamp policy end to end: the real gateway on a port, the test run's Kafka
// broker, record timestamps read back from the topics (and through the stream service's `since`).
// The schemas are the repository's: its test/event declares meta.dt without requiring it.

const repoSchemas = `${resolve(import.meta.dirname, '..', '..', 'schemas')}/`
const hour = 3600000

interface Running { url: string, prefix: string }

async function startGateway (t: TestContext, streams: Record<string, unknown>, overrides: Record<string, unknown> = {}, prefix = `ts${randomUUID().slice(0, 8)}.`): Promise<Running> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-timestamps-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'streams.yaml'), yaml.dump(streams))
  const config = testGatewayConfig({
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    schema_base_uris: [repoSchemas],
    stream_config_uri: join(dir, 'streams.yaml'),
    kafka: { brokers: requireBrokers() },
    ...overrides
  })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  return { url: await listen(gateway), prefix }
}

async function post (url: string, body: unknown): Promise<{ status: number, body: string }> {
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.statusCode, body: await res.body.text() }
}

async function metrics (url: string): Promise<string> {
  const res = await request(`${url}/metrics`)
  return res.body.text()
}

function event (stream: string, meta: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { $schema: '/test/event/1.0.0', meta: { stream, ...meta }, dt: '2026-01-01T00:00:00Z', test: randomUUID(), ...extra }
}

/** Posts one event and reads its record back, with the intake time bracketed by the clock around the POST. */
async function postAndRead (running: Running, body: Record<string, unknown>): Promise<{ before: number, after: number, message: ReadMessage, value: { meta: Record<string, unknown> } }> {
  const before = Date.now()
  const res = await post(running.url, [body])
  const after = Date.now()
  assert.equal(res.status, 201, res.body)
  const stream = (body.meta as { stream: string }).stream
  const [message] = await readMessages(`${running.prefix}${stream}`, 1, { timeoutMs: 20000 })
  assert.ok(message)
  return { before, after, message, value: JSON.parse(message.value) as { meta: Record<string, unknown> } }
}

function assertBetween (value: number, low: number, high: number, what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${new Date(value).toISOString()} is not within ${new Date(low).toISOString()} .. ${new Date(high).toISOString()}`)
}

test('a meta.dt three hours ahead is accepted, its record timestamp clamped to an hour after the intake time, and counted', async (t) => {
  // Before the clamp a Kafka 4 broker refused the record (message.timestamp.after.max.ms is an
  // hour by default) and the client got a 500; an older broker kept the future timestamp.
  const running = await startGateway(t, { 'test.event': { schema_title: 'test/event' } })
  const future = new Date(Date.now() + 3 * hour).toISOString()
  const { before, after, message, value } = await postAndRead(running, event('test.event', { dt: future }))
  assertBetween(Number(message.timestamp), before + hour, after + hour, 'record timestamp')
  assert.equal(value.meta.dt, future, 'the event keeps the client\'s meta.dt (meta_dt_policy fill, EventGate\'s)')
  assert.match(await metrics(running.url), /sluice_gateway_record_timestamps_clamped_total\{stream="test.event",direction="future"\} 1\n/)
})

test('a meta.dt years in the past gets a record timestamp max_timestamp_skew_ms before the intake time', async (t) => {
  const running = await startGateway(t, { 'test.event': { schema_title: 'test/event' } }, { max_timestamp_skew_ms: 60000 })
  const { before, after, message, value } = await postAndRead(running, event('test.event', { dt: '2019-01-01T00:00:00Z' }))
  assertBetween(Number(message.timestamp), before - 60000, after - 60000, 'record timestamp')
  assert.equal(value.meta.dt, '2019-01-01T00:00:00Z')
  assert.match(await metrics(running.url), /sluice_gateway_record_timestamps_clamped_total\{stream="test.event",direction="past"\} 1\n/)
})

test('a meta.dt within the skew is the record timestamp, and nothing is counted', async (t) => {
  const running = await startGateway(t, { 'test.event': { schema_title: 'test/event' } })
  const dt = new Date(Date.now() - 20 * 60000).toISOString()
  const { message } = await postAndRead(running, event('test.event', { dt }))
  assert.equal(message.timestamp, String(Date.parse(dt)))
  assert.doesNotMatch(await metrics(running.url), /sluice_gateway_record_timestamps_clamped_total\{/)
})

test('meta_dt_policy intake: meta.dt and the record timestamp are the intake time whatever the client sent', async (t) => {
  const running = await startGateway(t, { 'test.event': { schema_title: 'test/event' } }, { meta_dt_policy: 'intake' })
  const { before, after, message, value } = await postAndRead(running, event('test.event', { dt: '2019-01-01T00:00:00Z' }))
  const dt = Date.parse(String(value.meta.dt))
  assertBetween(dt, before, after, 'meta.dt')
  assert.equal(message.timestamp, String(dt))
  assert.doesNotMatch(await metrics(running.url), /sluice_gateway_record_timestamps_clamped_total\{/, 'nothing to clamp')
})

test('meta_dt_policy keep: an absent meta.dt stays absent and the record timestamp is the intake time', async (t) => {
  const running = await startGateway(t, { 'test.event': { schema_title: 'test/event' } }, { meta_dt_policy: 'keep' })
  const { before, after, message, value } = await postAndRead(running, event('test.event'))
  assert.equal(value.meta.dt, undefined)
  assertBetween(Number(message.timestamp), before, after, 'record timestamp')
})

test('a stream\'s meta_dt_policy and max_timestamp_skew_ms win over the gateway\'s', async (t) => {
  const running = await startGateway(t, {
    'public.intake': { schema_title: 'test/event', meta_dt_policy: 'intake' },
    '/^trusted\\.relay(\\..+)?$/': { schema_title: 'test/event', meta_dt_policy: 'fill', max_timestamp_skew_ms: 10 * 365 * 24 * hour },
    'test.event': { schema_title: 'test/event' }
  }, { meta_dt_policy: 'keep', max_timestamp_skew_ms: 60000 })
  const old = '2019-01-01T00:00:00Z'

  const intake = await postAndRead(running, event('public.intake', { dt: old }))
  assertBetween(Date.parse(String(intake.value.meta.dt)), intake.before, intake.after, 'public.intake meta.dt')
  assert.equal(intake.message.timestamp, String(Date.parse(String(intake.value.meta.dt))))

  const relay = await postAndRead(running, event('trusted.relay', { dt: old }))
  assert.equal(relay.value.meta.dt, old)
  assert.equal(relay.message.timestamp, String(Date.parse(old)), 'within the stream\'s ten years')
  const filled = await postAndRead(running, event('trusted.relay.fill'))
  assertBetween(Date.parse(String(filled.value.meta.dt)), filled.before, filled.after, 'trusted.relay fills an absent meta.dt')

  const plain = await postAndRead(running, event('test.event'))
  assert.equal(plain.value.meta.dt, undefined, 'the gateway\'s keep')
})

test('with meta_dt_policy intake, the stream service\'s since finds an event its client stamped years ago', async (t) => {
  // `since` asks Kafka for the first record at or after a time. A record stamped 2019 sorts
  // before any `since` of today, so before the policy the event posted after `since` was skipped.
  const fx = await startStreamsFixture(t)
  const running = await startGateway(t, { [fx.names.b]: { schema_title: 'test/event', meta_dt_policy: 'intake' } }, {}, 'eqiad.')
  const since = Date.now() - 1000
  const stamped = event(fx.names.b, { dt: '2019-01-01T00:00:00Z' }, { test: 'stamped years ago' })
  const fresh = event(fx.names.b, {}, { test: 'no meta.dt' })
  for (const body of [stamped, fresh]) {
    const res = await post(running.url, body)
    assert.equal(res.status, 201, res.body)
  }
  const client = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=${since}`)
  t.after(() => { client.close() })
  await client.waitForMessages(2)
  assert.deepEqual(client.messages().map((m) => m.test), ['stamped years ago', 'no meta.dt'])
})
