import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildTestGateway, createCapturingProducer } from '../../helpers/gateway.js'

const now = (): Date => new Date('2026-02-03T04:05:06.000Z')
const valid = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: '2026-02-03T04:05:06Z' } }
const invalid = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: 'yesterday' } }

test('?validate_only=true answers as a real POST would, 200 for full success, and produces nothing, not even error events', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const ok = await app.inject({ method: 'POST', url: '/v1/events?validate_only=true', payload: [valid, valid] })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.statusMessage, 'All 2 out of 2 events are valid.')
  assert.equal(ok.body, '')
  const mixed = await app.inject({ method: 'POST', url: '/v1/events?validate_only=1&hasty=true', payload: [valid, invalid] })
  assert.equal(mixed.statusCode, 207, 'validate_only wins over hasty: the answer is the point')
  const body = mixed.json<{ invalid: Array<{ status: string }>, error: unknown[] }>()
  assert.equal(body.invalid.length, 1)
  const bad = await app.inject({ method: 'POST', url: '/v1/events?validate_only=true', payload: [invalid] })
  assert.equal(bad.statusCode, 400)
  const unknown = await app.inject({ method: 'POST', url: '/v1/events?validate_only=true', payload: [{ ...valid, meta: { ...valid.meta, stream: 'nope' } }] })
  assert.equal(unknown.statusCode, 500, 'an undeclared stream answers as EventGate does')
  assert.equal(producer.records.length, 0, 'nothing was produced, and no error event either')
  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  assert.match(metrics.body, /sluice_gateway_events_total\{stream="test\.event",outcome="validated"\} 3/)
  assert.doesNotMatch(metrics.body, /outcome="accepted"/)
})

test('?validate_only=false and =0 produce as usual', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  for (const value of ['false', '0']) {
    const res = await app.inject({ method: 'POST', url: `/v1/events?validate_only=${value}`, payload: valid })
    assert.equal(res.statusCode, 201)
  }
  assert.equal(producer.records.length, 2)
})

test('schema_uri_query_param and stream_query_param supply $schema and the stream to events that lack them (a Reporting API post)', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now, config: { schema_uri_query_param: 'schema_uri', stream_query_param: 'stream' } })
  const report = { type: 'network-error', age: 12, url: 'https://en.wikipedia.org/', user_agent: 'Mozilla/5.0', body: { type: 'tcp.timed_out' } }
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events?schema_uri=/w3c/reportingapi/test_report/1.0.0&stream=w3c.reportingapi.test_report',
    headers: { 'content-type': 'application/reports+json' },
    payload: JSON.stringify([report])
  })
  assert.equal(res.statusCode, 201, res.body)
  const produced = JSON.parse(String(producer.records[0]?.value)) as Record<string, Record<string, unknown>>
  assert.equal(producer.records[0]?.topic, 'eqiad.w3c.reportingapi.test_report')
  assert.equal(produced.$schema, '/w3c/reportingapi/test_report/1.0.0')
  assert.equal(produced.meta?.stream, 'w3c.reportingapi.test_report')
  assert.deepEqual(produced.body, report.body)
  // An event that carries its own keeps them.
  const own = await app.inject({ method: 'POST', url: '/v1/events?schema_uri=/w3c/reportingapi/test_report/1.0.0&stream=w3c.reportingapi.test_report', payload: valid })
  assert.equal(own.statusCode, 201)
  assert.equal(producer.records[1]?.topic, 'eqiad.test.event')
})

test('without the query params configured, the same post lacks $schema and is refused', async (t) => {
  const { app } = await buildTestGateway(t, { now })
  const res = await app.inject({ method: 'POST', url: '/v1/events?schema_uri=/w3c/reportingapi/test_report/1.0.0&stream=w3c.reportingapi.test_report', payload: { type: 'network-error' } })
  assert.equal(res.statusCode, 500)
  assert.equal(res.json<{ error: Array<{ context: { code: string } }> }>().error[0]?.context.code, 'SLUICE_ERR_EVENT_FIELD_MISSING')
})

test('legacy EventLogging schemas (analytics/legacy/*) get dt set to the receive time when it is absent; other schemas never do', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const legacy = { $schema: '/analytics/legacy/testlegacy/1.0.0', meta: { stream: 'eventlogging_TestLegacy' }, event: { action: 'click' } }
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [legacy, { ...legacy, dt: '2020-01-01T00:00:00Z' }] })
  assert.equal(res.statusCode, 201, res.body)
  const [filled, kept] = producer.records.map((record) => JSON.parse(String(record.value)) as Record<string, unknown>)
  assert.equal(filled?.dt, '2026-02-03T04:05:06.000Z')
  assert.equal(kept?.dt, '2020-01-01T00:00:00Z', "a client's dt is kept")
  assert.equal(producer.records[0]?.topic, 'eventlogging_TestLegacy', 'legacy streams keep their unprefixed topic')
})
