import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { startAdminServer } from '../../src/service/admin-server.js'
import { testLogger } from '../helpers/logger.js'

test('the admin server serves the admin routes on its own port and frees it on close', async () => {
  let healthy = true
  const admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    logger: testLogger(),
    registry: new Registry(),
    readiness: [{ name: 'kafka', ready: () => false, details: () => 'down' }],
    health: () => ({ ok: healthy, details: { consumers_failed: healthy ? [] : ['rule'] } })
  })
  const base = `http://127.0.0.1:${admin.port}`
  assert.ok(admin.port > 0)
  const ready = await fetch(`${base}/readyz`)
  assert.equal(ready.status, 503)
  assert.deepEqual(await ready.json(), { ready: false, checks: { kafka: false }, details: { kafka: 'down' } })
  healthy = false
  const health = await fetch(`${base}/healthz`)
  assert.equal(health.status, 503)
  assert.deepEqual(await health.json(), { status: 'unavailable', consumers_failed: ['rule'] })
  assert.equal((await fetch(`${base}/nope`)).status, 404)
  await admin.close()
  await assert.rejects(fetch(`${base}/healthz`))
})
