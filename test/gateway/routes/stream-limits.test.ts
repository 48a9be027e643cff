import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildTestGateway, createCapturingProducer } from '../../helpers/gateway.js'

const now = (): Date => new Date('2026-02-03T04:05:06.000Z')

function event (stream: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { $schema: '/test/event/1.0.0', meta: { stream, dt: '2026-02-03T04:05:06Z' }, ...extra }
}

interface Failures { error: Array<{ context: { code: string } }> }

test('max_event_bytes fails only the events over it, with SLUICE_ERR_STREAM_EVENT_TOO_LARGE', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [event('limited.size'), event('limited.size', { test: 'x'.repeat(400) })] })
  assert.equal(res.statusCode, 207)
  assert.deepEqual(res.json<Failures>().error.map((e) => e.context.code), ['SLUICE_ERR_STREAM_EVENT_TOO_LARGE'])
  assert.equal(producer.records.length, 1)
})

test('max_events_per_request accepts the first N events of the stream in the request and fails the rest', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [1, 2, 3].map((n) => event('limited.count', { test: `n${n}` })).concat([event('test.event')]) })
  assert.equal(res.statusCode, 207)
  assert.deepEqual(res.json<Failures>().error.map((e) => e.context.code), ['SLUICE_ERR_STREAM_TOO_MANY_EVENTS'])
  assert.deepEqual(producer.records.map((r) => JSON.parse(String(r.value)) as { test: string, meta: { stream: string } }).map((e) => `${e.meta.stream}:${e.test}`),
    ['limited.count:n1', 'limited.count:n2', 'test.event:default value'])
})

test('rate_limit: over the burst an event fails; when every event is over the rate the request is 429 with Retry-After; counted by reason', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const first = await app.inject({ method: 'POST', url: '/v1/events', payload: [event('limited.rate'), event('limited.rate'), event('limited.rate')] })
  assert.equal(first.statusCode, 207, 'a burst of 2')
  assert.deepEqual(first.json<Failures>().error.map((e) => e.context.code), ['SLUICE_ERR_STREAM_RATE_LIMITED'])
  const second = await app.inject({ method: 'POST', url: '/v1/events', payload: [event('limited.rate')] })
  assert.equal(second.statusCode, 429)
  assert.ok(Number(second.headers['retry-after']) >= 1, 'Retry-After in seconds')
  const other = await app.inject({ method: 'POST', url: '/v1/events', payload: [event('test.event')] })
  assert.equal(other.statusCode, 201, 'other streams are not limited')
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /sluice_gateway_events_total\{stream="limited\.rate",outcome="error",reason="stream_rate_limited"\} 2/)
  // Validate-only does not spend the rate, and answers as a real post would for the other limits.
  const validate = await app.inject({ method: 'POST', url: '/v1/events?validate_only=true', payload: [event('limited.count'), event('limited.count'), event('limited.count')] })
  assert.equal(validate.statusCode, 207)
})
