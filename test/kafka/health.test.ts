import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import { findFreePort } from '../../src/kafka/index.js'
import { probeCluster } from '../../src/kafka/health.js'
import { createLogger } from '../../src/logger.js'
import { requireBrokers } from '../helpers/kafka.js'

const logger = createLogger({ level: 'silent', name: 'test' })

async function silentServer (t: { after: (fn: () => void) => void }): Promise<string> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('no server address')
  return `127.0.0.1:${address.port}`
}

test('probeCluster resolves when the broker answers a metadata request', async () => {
  await probeCluster({ brokers: requireBrokers(), clientId: 'health-test', timeoutMs: 2000, logger })
})

test('probeCluster rejects within its timeout for an address that accepts connections and never answers', async (t) => {
  const silent = await silentServer(t)
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
