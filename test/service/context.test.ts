import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent } from 'undici'
import { createServiceContext } from '../../src/service/context.js'
import type { ContextSettings } from '../../src/service/context.js'
import { closeInOrder } from '../../src/service/shutdown.js'
import { createCapturingProducer } from '../helpers/gateway.js'
import { testLogger } from '../helpers/logger.js'

const settings: ContextSettings = {
  logger: { level: 'silent', name: 'ctx' },
  metricLabels: { service: 'ctx-test' },
  dispatcher: {},
  producer: { brokers: ['127.0.0.1:1'], clientId: 'ctx', lingerMs: 2, maxBatchRecords: 10, produceTimeoutMs: 500, partitioner: 'consistent_random' }
}

test('the context creates what it is not handed, labels its registry, and closes the producer before the HTTP agent', async () => {
  const context = createServiceContext(settings, '/srv')
  assert.equal(context.cwd, '/srv')
  assert.deepEqual(context.closers.map((step) => step.name), ['Kafka producer', 'HTTP agent'])
  assert.match(await context.registry.metrics(), /service="ctx-test"/)
  assert.match(await context.registry.metrics(), /sluice_kafka_/, 'the producer reports on the context registry')
  assert.deepEqual(await closeInOrder(context.closers, Date.now() + 2000, testLogger()), [])
  assert.equal((context.dispatcher as Agent).closed, true)
})

test('what a caller hands in is used as it is and left for the caller to close', async (t) => {
  const dispatcher = new Agent()
  t.after(async () => { await dispatcher.close() })
  const producer = createCapturingProducer()
  const logger = testLogger()
  const now = (): Date => new Date(0)
  const context = createServiceContext(settings, '/srv', { dispatcher, producer, logger, now, newId: () => 'id' })
  assert.equal(context.dispatcher, dispatcher)
  assert.equal(context.producer, producer)
  assert.equal(context.logger, logger)
  assert.equal(context.now().getTime(), 0)
  assert.equal(context.newId(), 'id')
  assert.deepEqual(context.closers, [])
})
