import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createChangeprop, loadChangepropConfig } from '../../src/changeprop/index.js'
import { readinessBody } from '../../src/service/admin-routes.js'
import type { ReadinessBody } from '../../src/service/admin-routes.js'
import { buildTestGateway, createCapturingProducer, testLogger } from '../helpers/gateway.js'
import { requireBrokers } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'

test('the readiness body names every check, and details only those failing checks that have some', () => {
  assert.deepEqual(readinessBody([{ name: 'a', ready: () => true }, { name: 'b', ready: () => true, details: () => ['x'] }]), { ready: true, checks: { a: true, b: true } })
  assert.deepEqual(readinessBody([{ name: 'a', ready: () => false }, { name: 'b', ready: () => false, details: () => ['x'] }]), { ready: false, checks: { a: false, b: false }, details: { b: ['x'] } })
})

test('the gateway and change propagation answer /readyz, /healthz and /_info with one shape', async (t) => {
  const producer = createCapturingProducer()
  const gateway = await buildTestGateway(t, { producer })
  const gatewayGet = async (url: string): Promise<{ status: number, body: unknown }> => {
    const res = await gateway.app.inject({ method: 'GET', url })
    return { status: res.statusCode, body: res.json() }
  }

  const config = await loadChangepropConfig(undefined, {}, {
    service_name: `cp${randomUUID().slice(0, 8)}`,
    port: 0,
    listen_address: '127.0.0.1',
    shutdown_timeout_ms: 2000,
    kafka: { brokers: requireBrokers() }
  })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: testLogger() })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()
  const changepropGet = async (url: string): Promise<{ status: number, body: unknown }> => {
    const res = await fetch(`http://127.0.0.1:${String(changeprop.port)}${url}`)
    return { status: res.status, body: await res.json() }
  }
  await waitFor('change propagation to be ready', () => changeprop.isReady())

  assert.deepEqual(await gatewayGet('/readyz'), { status: 200, body: { ready: true, checks: { kafka: true, stream_config: true } } satisfies ReadinessBody })
  assert.deepEqual(await changepropGet('/readyz'), { status: 200, body: { ready: true, checks: { running: true, consumers: true, kafka: true } } satisfies ReadinessBody })
  producer.ready = false
  assert.deepEqual(await gatewayGet('/readyz'), { status: 503, body: { ready: false, checks: { kafka: false, stream_config: true } } })

  assert.deepEqual(await gatewayGet('/healthz'), { status: 200, body: { status: 'ok' } })
  assert.deepEqual(await changepropGet('/healthz'), { status: 200, body: { status: 'ok', started: true, closing: false, consumers_failed: [] } })
  const info = (await gatewayGet('/_info')).body as { name: string }
  assert.equal(info.name, 'sluice')
  assert.deepEqual((await changepropGet('/_info')).body, info)
})
