import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eventFailureLevel, eventRequestLevel, problemLevel } from '../../src/service/log-policy.js'
import { buildTestGateway, createCapturingProducer, testLogger } from '../helpers/gateway.js'

test('5xx problems log at error, 4xx at info; per-event client mistakes at warn; a request of client mistakes only at debug', () => {
  assert.equal(problemLevel(503), 'error')
  assert.equal(problemLevel(413), 'info')
  assert.equal(eventFailureLevel('server'), 'error')
  assert.equal(eventFailureLevel('client'), 'warn')
  assert.equal(eventRequestLevel(true), 'error')
  assert.equal(eventRequestLevel(false), 'debug')
})

test('one invalid event is logged exactly once at info or above, at warn', async (t) => {
  const lines: string[] = []
  const producer = createCapturingProducer()
  const gateway = await buildTestGateway(t, { producer, logger: testLogger(lines) })
  const res = await gateway.app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: '2019-01-01T00:00:00Z' }, test: 42 }
  })
  assert.equal(res.statusCode, 400)
  // The error event is produced in the background: once it is, every line has been written.
  await producer.waitFor(1)
  const levels = lines.map((line) => (JSON.parse(line) as { level: number }).level)
  assert.deepEqual(levels.filter((level) => level >= 30), [40], JSON.stringify(lines))
})
