import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import { fetchTopicOffsets } from '../../src/kafka/index.js'
import { requireBrokers } from '../helpers/kafka.js'
import { startRedis } from '../helpers/redis.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'

// Idempotent intake against the real broker: a stream with dedupe_window_ms takes each client
// meta.id once, however often and however concurrently it is posted.

async function startGateway (t: TestContext, prefix: string, overrides: Record<string, unknown> = {}): Promise<{ url: string, metrics: () => Promise<string> }> {
  const config = testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, kafka: { brokers: requireBrokers() }, ...overrides })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  return { url: await listen(gateway), metrics: async () => gateway.context.registry.metrics() }
}

function batch (size: number, stream = 'deduped.event'): Array<Record<string, unknown>> {
  return Array.from({ length: size }, () => ({ $schema: '/test/event/1.0.0', meta: { stream, id: randomUUID(), dt: '2024-05-06T07:08:09Z' }, test: 'x' }))
}

async function post (url: string, events: unknown): Promise<number> {
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
  await res.body.dump()
  return res.statusCode
}

async function recordsIn (topic: string): Promise<number> {
  const offsets = await fetchTopicOffsets(requireBrokers(), topic)
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
}

test('the same 1000-event batch posted twice concurrently is produced once; both answers are 201; duplicates are counted', async (t) => {
  const prefix = `idem${randomUUID().slice(0, 8)}.`
  const gw = await startGateway(t, prefix)
  const events = batch(1000)
  assert.deepEqual(await Promise.all([post(gw.url, events), post(gw.url, events)]), [201, 201])
  assert.equal(await recordsIn(`${prefix}deduped.event`), 1000, 'every duplicate caught (1000 of 1000)')
  assert.equal(await post(gw.url, events.slice(0, 10)), 201, 'a retry later is answered as accepted')
  assert.equal(await recordsIn(`${prefix}deduped.event`), 1000)
  assert.match(await gw.metrics(), /sluice_gateway_events_total\{stream="deduped.event",outcome="duplicate"\} 1010/)
})

test('streams without dedupe_window_ms, and events without a client meta.id, are produced every time', async (t) => {
  const prefix = `idem${randomUUID().slice(0, 8)}.`
  const gw = await startGateway(t, prefix)
  const plain = batch(5, 'test.event')
  await post(gw.url, plain)
  await post(gw.url, plain)
  assert.equal(await recordsIn(`${prefix}test.event`), 10)
  const anonymous = batch(3).map((e) => ({ ...e, meta: { stream: 'deduped.event', dt: '2024-05-06T07:08:09Z' } }))
  await post(gw.url, anonymous)
  await post(gw.url, anonymous)
  assert.equal(await recordsIn(`${prefix}deduped.event`), 6)
})

test('with Redis, two gateway replicas take each id once between them', async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const prefix = `idem${randomUUID().slice(0, 8)}.`
  const settings = { redis: { url: redis.url, key_prefix: `t${randomUUID().slice(0, 8)}` } }
  const one = await startGateway(t, prefix, settings)
  const two = await startGateway(t, prefix, settings)
  const events = batch(500)
  assert.deepEqual(await Promise.all([post(one.url, events), post(two.url, events)]), [201, 201])
  assert.equal(await recordsIn(`${prefix}deduped.event`), 500, 'every duplicate caught across replicas (500 of 500)')
  await redis.stop()
  const fresh = batch(3)
  assert.equal(await post(one.url, fresh), 201, 'Redis down: intake fails open')
  assert.equal(await recordsIn(`${prefix}deduped.event`), 503)
  assert.match(await one.metrics(), /sluice_gateway_dedupe_store_errors_total [1-9]/)
})

test('kafka.idempotent: true produces through Kafka\'s idempotent producer (one batch in flight)', async (t) => {
  const prefix = `idem${randomUUID().slice(0, 8)}.`
  const gw = await startGateway(t, prefix, { kafka: { brokers: requireBrokers(), idempotent: true } })
  const events = batch(200, 'test.event')
  assert.deepEqual(await Promise.all([post(gw.url, events.slice(0, 100)), post(gw.url, events.slice(100))]), [201, 201])
  assert.equal(await recordsIn(`${prefix}test.event`), 200)
})
