import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway } from '../../src/gateway/index.js'
import { readMessages, requireBrokers } from '../helpers/kafka.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'

// These tests run the real gateway on a port, with the real batching producer, against the
// test run's Kafka broker, and read the records back from the topics.

async function startGateway (t: { after: (fn: () => Promise<void>) => void }, overrides: Record<string, unknown> = {}): Promise<{ gateway: Gateway, url: string, prefix: string }> {
  const prefix = `it${randomUUID().slice(0, 8)}.`
  const config = testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, kafka: { brokers: requireBrokers() }, ...overrides })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger() })
  t.after(async () => { await gateway.close() })
  const url = await listen(gateway)
  return { gateway, url, prefix }
}

async function post (url: string, body: unknown, path = '/v1/events'): Promise<{ status: number, reason: string, body: string, headers: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  // undici does not expose the reason phrase; the raw status line is checked in app tests.
  return { status: res.statusCode, reason: '', body: await res.body.text(), headers: res.headers }
}

async function waitUntilReady (url: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await request(`${url}/readyz`)
    await res.body.dump()
    if (res.statusCode === 200) return
    if (Date.now() > deadline) throw new Error('gateway never became ready')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

test('a POSTed event lands in <prefix><stream> with its key, value and timestamp', async (t) => {
  const { url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  // Within max_timestamp_skew_ms (1 hour) of the intake time: the record timestamp is meta.dt.
  const dt = new Date(Date.now() - 300000).toISOString()
  const event = { $schema: '/sluice/keyed/1.0.0', meta: { stream: 'keyed.page', dt }, wiki_id: 'enwiki', page: { page_id: 99 } }
  const res = await post(url, [event])
  assert.equal(res.status, 201, res.body)
  const [message] = await readMessages(`${prefix}keyed.page`, 1, { timeoutMs: 20000 })
  assert.ok(message)
  assert.equal(message.key, '{"wiki_id":"enwiki","page_id":99}')
  assert.equal(message.timestamp, String(Date.parse(dt)))
  const value = JSON.parse(message.value) as { meta: { id: string, stream: string, request_id: string }, page: { page_title: string } }
  assert.equal(value.meta.stream, 'keyed.page')
  assert.match(value.meta.id, /^[0-9a-f-]{36}$/)
  assert.match(value.meta.request_id, /^[0-9a-f-]{36}$/)
  assert.equal(value.page.page_title, 'Main_Page')
})

test('a batch of 200 events in one request is acknowledged and every event is readable', async (t) => {
  const { url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  const events = Array.from({ length: 200 }, (_, i) => ({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: `n${i}` }))
  const res = await post(url, events)
  assert.equal(res.status, 201, res.body)
  const messages = await readMessages(`${prefix}test.event`, 200, { timeoutMs: 20000 })
  assert.deepEqual(new Set(messages.map((m) => (JSON.parse(m.value) as { test: string }).test)), new Set(events.map((e) => e.test)))
})

test('invalid events are answered 400 and become error events on the error stream', async (t) => {
  const { url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  const res = await post(url, { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: 123 })
  assert.equal(res.status, 400)
  const [message] = await readMessages(`${prefix}eventgate.error.validation`, 1, { timeoutMs: 20000 })
  const errorEvent = JSON.parse(message!.value) as { errored_stream_name: string, raw_event: string, message: string }
  assert.equal(errorEvent.errored_stream_name, 'test.event')
  assert.equal((JSON.parse(errorEvent.raw_event) as { test: number }).test, 123)
})

test('hasty events are produced after the 202, and shutdown flushes them', async (t) => {
  const { gateway, url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  const events = Array.from({ length: 20 }, (_, i) => ({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: `h${i}` }))
  const res = await post(url, events, '/v1/events?hasty=true')
  assert.equal(res.status, 202)
  await gateway.close()
  const messages = await readMessages(`${prefix}test.event`, 20, { timeoutMs: 20000 })
  assert.equal(messages.length, 20)
})

test('with Kafka unreachable the gateway answers 503 within the produce timeout, and is not ready', async (t) => {
  const { url } = await startGateway(t, { kafka: { brokers: ['127.0.0.1:1'], produce_timeout_ms: 1000 } })
  const ready = await request(`${url}/readyz`)
  assert.equal(ready.statusCode, 503)
  await ready.body.dump()
  const started = Date.now()
  const res = await post(url, { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' } })
  const elapsed = Date.now() - started
  assert.equal(res.status, 503, res.body)
  assert.equal(res.headers['retry-after'], '5')
  assert.ok(elapsed < 3000, `answered after ${elapsed} ms`)
  assert.equal((JSON.parse(res.body) as { error: Array<{ context: { code: string } }> }).error[0]!.context.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
})

test('?validate_only=true writes nothing to Kafka: neither the event nor an error event', async (t) => {
  const { url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  const tried = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: 'validated only' }
  const invalid = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: 'yesterday' }, test: 'invalid, validated only' }
  assert.equal((await post(url, [tried], '/v1/events?validate_only=true')).status, 200)
  assert.equal((await post(url, [invalid], '/v1/events?validate_only=true')).status, 400)
  // Then real posts: had the validation run produced, its records would come first on each topic.
  assert.equal((await post(url, [{ ...tried, test: 'produced' }])).status, 201)
  assert.equal((await post(url, [{ ...invalid, test: 'invalid, produced' }])).status, 400)
  const events = await readMessages(`${prefix}test.event`, 1, { timeoutMs: 20000 })
  assert.deepEqual(events.map((m) => (JSON.parse(m.value) as { test: string }).test), ['produced'])
  const errors = await readMessages(`${prefix}eventgate.error.validation`, 1, { timeoutMs: 20000 })
  assert.match(errors[0]?.value ?? '', /invalid, produced/)
  assert.doesNotMatch(errors[0]?.value ?? '', /validated only/)
})

test('legacy intake: query parameters supply $schema and the stream, and an analytics/legacy event gets dt, on the real topics', async (t) => {
  const { url, prefix } = await startGateway(t, { schema_uri_query_param: 'schema_uri', stream_query_param: 'stream' })
  await waitUntilReady(url)
  const report = { type: 'network-error', age: 1, url: 'https://en.wikipedia.org/', body: { type: 'tcp.timed_out' } }
  const res = await post(url, [report], '/v1/events?schema_uri=/w3c/reportingapi/test_report/1.0.0&stream=w3c.reportingapi.test_report')
  assert.equal(res.status, 201, res.body)
  const [message] = await readMessages(`${prefix}w3c.reportingapi.test_report`, 1, { timeoutMs: 20000 })
  const produced = JSON.parse(message?.value ?? '{}') as { $schema: string, meta: { stream: string }, body: unknown }
  assert.equal(produced.$schema, '/w3c/reportingapi/test_report/1.0.0')
  assert.equal(produced.meta.stream, 'w3c.reportingapi.test_report')
  assert.deepEqual(produced.body, report.body)

  const marker = randomUUID()
  const before = Date.now()
  const legacy = await post(url, [{ event: { action: marker } }], '/v1/events?schema_uri=/analytics/legacy/testlegacy/1.0.0&stream=eventlogging_TestLegacy')
  assert.equal(legacy.status, 201, legacy.body)
  const records = await readMessages('eventlogging_TestLegacy', 1, { timeoutMs: 20000 })
  const found = records.map((m) => JSON.parse(m.value) as { dt?: string, event: { action: string } }).find((e) => e.event.action === marker)
  assert.ok(found?.dt !== undefined, 'dt was filled')
  assert.ok(Date.parse(found.dt) >= before - 1000 && Date.parse(found.dt) <= Date.now(), `dt ${found.dt} is the receive time`)
})

test('per-stream limits: the events over max_events_per_request never reach the topic', async (t) => {
  const { url, prefix } = await startGateway(t)
  await waitUntilReady(url)
  const event = (n: number): Record<string, unknown> => ({ $schema: '/test/event/1.0.0', meta: { stream: 'limited.count' }, test: `n${n}` })
  const limited = await post(url, [event(1), event(2), event(3)])
  assert.equal(limited.status, 207, limited.body)
  // The limit is per request: a later request's event follows the two that were let through.
  assert.equal((await post(url, [event(4)])).status, 201)
  const messages = await readMessages(`${prefix}limited.count`, 3, { timeoutMs: 20000 })
  assert.deepEqual(messages.map((m) => (JSON.parse(m.value) as { test: string }).test), ['n1', 'n2', 'n4'])
})
