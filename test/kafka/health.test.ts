import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findFreePort } from '../../src/local-kafka/index.js'
import { createClusterProbe, probeCluster } from '../../src/kafka/health.js'
import { createEventProducer } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { startCountingProxy } from '../helpers/counting-proxy.js'
import { requireBrokers } from '../helpers/kafka.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { waitFor } from '../helpers/wait.js'

const logger = createLogger({ level: 'silent', name: 'test' })

test('probeCluster resolves when the broker answers a metadata request', async () => {
  await probeCluster({ brokers: requireBrokers(), clientId: 'health-test', timeoutMs: 2000, logger })
})

test('probeCluster rejects within its timeout for an address that accepts connections and never answers', async (t) => {
  const silent = (await startSilentServer(t)).address
  const started = Date.now()
  await assert.rejects(probeCluster({ brokers: [silent], clientId: 'health-test', timeoutMs: 500, logger }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
    assert.match(err.message, new RegExp(silent.replaceAll('.', '\\.')))
    return true
  })
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 450 && elapsed < 1000, `rejected after ${elapsed} ms`)
})

test('probeCluster asks every bootstrap address: one broker down is not the cluster down', async () => {
  const down = `127.0.0.1:${await findFreePort()}`
  await probeCluster({ brokers: [down, ...requireBrokers()], clientId: 'health-test', timeoutMs: 2000, logger })
  await assert.rejects(probeCluster({ brokers: [down], clientId: 'health-test', timeoutMs: 2000, logger }), { code: 'SLUICE_ERR_KAFKA_UNAVAILABLE' })
})

test('a probe asks over one long-lived connection per broker: 20 probes, one connection accepted', async (t) => {
  const proxy = await startCountingProxy(t, requireBrokers()[0]!)
  const probe = createClusterProbe({ brokers: [proxy.address], clientId: 'health-test', timeoutMs: 2000, logger })
  t.after(() => probe.close())
  for (let i = 0; i < 20; i++) await probe.check()
  assert.equal(proxy.accepted, 1)
})

test('a producer\'s readiness probes while idle reuse one connection', async (t) => {
  const proxy = await startCountingProxy(t, requireBrokers()[0]!)
  const producer = createEventProducer({ brokers: [proxy.address], clientId: 'health-test', healthCheckIntervalMs: 100, healthCheckTimeoutMs: 1000, logger })
  t.after(() => producer.close())
  let probes = 0
  producer.monitor()
  // Ten probe rounds at least (each 100 ms apart), counted by the broker's answers seen by the proxy.
  await waitFor('the producer to be ready', () => producer.isReady(), 10000)
  const started = Date.now()
  await waitFor('ten probe intervals', () => { probes = Math.floor((Date.now() - started) / 100); return probes >= 10 && producer.isReady() }, 10000)
  assert.equal(proxy.accepted, 1, `${proxy.accepted} connections for ${probes} probes`)
})

test('an address that accepts connections and never answers is never counted as an answer, round after round', async (t) => {
  const silent = await startSilentServer(t)
  const probe = createClusterProbe({ brokers: [silent.address], clientId: 'health-test', timeoutMs: 300, logger })
  t.after(() => probe.close())
  for (let round = 1; round <= 3; round++) {
    await assert.rejects(probe.check(), { code: 'SLUICE_ERR_KAFKA_UNAVAILABLE' })
    // A connection that did not answer is not kept for the next round.
    assert.equal(silent.connections, round)
  }
})
