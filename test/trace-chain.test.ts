import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { createGateway } from '../src/gateway/index.js'
import { parseTraceparent } from '../src/trace-context.js'
import { readMessages, requireBrokers } from './helpers/kafka.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from './helpers/gateway.js'
import { startChangeprop, testNames } from './changeprop/helpers/start.js'
import { startSink } from './changeprop/helpers/sink.js'

// The whole chain on the real broker: a POST's trace context goes into the Kafka record's
// headers, and change propagation continues it on the request its rule makes.

const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

test('POST traceparent → record header (same trace, the gateway\'s span) → the rule\'s request (same trace, a new span)', async (t) => {
  const names = testNames()
  const gateway = await createGateway(testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: names.prefix, kafka: { brokers: requireBrokers() } }), { cwd: fixturesDir, logger: testLogger() })
  t.after(async () => { await gateway.close() })
  const url = await listen(gateway)
  const sink = await startSink()
  t.after(async () => { await sink.close() })
  await startChangeprop(t, { traced: { topic: 'test.event', exec: { method: 'post', uri: `${sink.origin}/traced/{message.test}` } } }, {}, names)

  const post = async (headers: Record<string, string>, marker: string): Promise<void> => {
    for (;;) {
      const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: marker }) })
      const body = await res.body.text()
      if (res.statusCode === 201) return
      // The gateway answers 503 until its producer is connected.
      assert.equal(res.statusCode, 503, body)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await post({ traceparent: incoming, tracestate: 'rojo=00f067aa0ba902b7' }, 'with')
  await post({}, 'without')

  const records = await readMessages(`${names.prefix}test.event`, 2, { timeoutMs: 20000 })
  const recordTrace = parseTraceparent(records[0]?.headers.traceparent)
  assert.equal(recordTrace?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the record carries the caller\'s trace')
  assert.notEqual(recordTrace?.spanId, '00f067aa0ba902b7', 'with the gateway\'s own span')
  assert.equal(records[0]?.headers.tracestate, 'rojo=00f067aa0ba902b7')
  const newTrace = parseTraceparent(records[1]?.headers.traceparent)
  assert.ok(newTrace !== undefined && newTrace.traceId !== recordTrace?.traceId, 'a POST without one starts a new trace')

  const [withTrace, withoutTrace] = [await sink.waitForRequests(1, { filter: (r) => r.path.startsWith('/traced/with') }), await sink.waitForRequests(1, { filter: (r) => r.path.startsWith('/traced/without') })]
  const requestTrace = parseTraceparent(String(withTrace[0]?.headers.traceparent))
  assert.equal(requestTrace?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'change propagation continues the trace')
  assert.notEqual(requestTrace?.spanId, recordTrace?.spanId, 'with a new span')
  assert.equal(withTrace[0]?.headers.tracestate, 'rojo=00f067aa0ba902b7')
  assert.equal(parseTraceparent(String(withoutTrace[0]?.headers.traceparent))?.traceId, newTrace?.traceId)
})
