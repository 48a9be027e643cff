import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTraceparent } from '../../../src/trace-context.js'
import { buildTestGateway, createCapturingProducer } from '../../helpers/gateway.js'

const event = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: '2026-02-03T04:05:06Z' } }

test('a bad traceparent never refuses an event: it is accepted and starts a new trace', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: event, headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } })
  assert.equal(res.statusCode, 201)
  const trace = parseTraceparent(producer.records[0]?.headers?.traceparent)
  assert.ok(trace !== undefined, 'a valid traceparent was made')
  assert.notEqual(trace.traceId, '00000000000000000000000000000000')
})

test('every event of one request carries the request\'s trace; error events too', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [event, event, { ...event, meta: { ...event.meta, dt: 'not a date' } }], headers: { traceparent } })
  assert.equal(res.statusCode, 207)
  const records = await producer.waitFor(3)
  const traces = records.map((r) => parseTraceparent(r.headers?.traceparent))
  assert.deepEqual(new Set(traces.map((c) => c?.traceId)), new Set(['4bf92f3577b34da6a3ce929d0e0e4736']))
  assert.ok(records.some((r) => r.topic === 'eqiad.eventgate.error.validation'), 'the error event is among them')
})
