import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findFreePort } from '../../src/local-kafka/index.js'
import { probeCluster } from '../../src/kafka/health.js'
import { createLogger } from '../../src/logger.js'
import { requireBrokers } from '../helpers/kafka.js'
import { startSilentServer } from '../helpers/silent-server.js'

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
