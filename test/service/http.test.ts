import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { SluiceError } from '../../src/errors.js'
import { createHttpService } from '../../src/service/index.js'
import type { HttpServiceOptions } from '../../src/service/index.js'
import { testLogger } from '../helpers/logger.js'

// The face every HTTP service of Sluice starts from (src/service/http.ts), on a real Fastify
// instance answering through inject().

function build (lines: string[], overrides: Partial<HttpServiceOptions> = {}): ReturnType<typeof createHttpService> {
  const app = createHttpService({
    logger: testLogger(lines),
    headers: { cors: 'https://example.org', methods: 'GET, OPTIONS', allowHeaders: 'accept', exposeHeaders: 'etag', contentSecurityPolicy: "default-src 'self'" },
    admin: { registry: new Registry(), readiness: [{ name: 'kafka', ready: () => true }] },
    ...overrides
  })
  app.get('/bug', async () => { throw new Error('a bug') })
  app.get('/refused', async () => { throw new SluiceError('SLUICE_ERR_KAFKA_UNAVAILABLE', 'Kafka is away', { statusCode: 503 }) })
  app.get('/page', async (_request, reply) => reply.header('content-security-policy', "default-src 'none'").send('page'))
  return app
}

test('an unknown route answers 404 with the problem body and its stable code', async () => {
  const lines: string[] = []
  const res = await build(lines).inject({ method: 'GET', url: '/nowhere?x=1' })
  assert.equal(res.statusCode, 404)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  assert.deepEqual(res.json(), { status: 404, code: 'SLUICE_ERR_NOT_FOUND', title: 'Not Found', detail: 'No route for GET /nowhere?x=1.', method: 'GET', uri: '/nowhere?x=1' })
  // A client's mistake is logged at info, never at error.
  assert.deepEqual(lines.map((line) => (JSON.parse(line) as { level: number }).level), [30])
})

test('a bug answers 500 SLUICE_ERR_INTERNAL without its message, logged at error with the error; a Sluice error keeps its status and code', async () => {
  const lines: string[] = []
  const app = build(lines)
  const bug = await app.inject({ method: 'GET', url: '/bug' })
  assert.equal(bug.statusCode, 500)
  assert.deepEqual(bug.json(), { status: 500, code: 'SLUICE_ERR_INTERNAL', title: 'Internal Server Error', detail: 'Internal error', method: 'GET', uri: '/bug' })
  const logged = JSON.parse(lines[0]!) as { level: number, err: { message: string } }
  assert.equal(logged.level, 50)
  assert.equal(logged.err.message, 'a bug')
  const refused = await app.inject({ method: 'GET', url: '/refused' })
  assert.equal(refused.statusCode, 503)
  assert.equal(refused.headers['retry-after'], '5')
  assert.equal((refused.json() as { code: string }).code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
})

test('a request Fastify refuses answers its 4xx as SLUICE_ERR_REQUEST_INVALID, unless the service reads the error itself', async () => {
  const plain = await build([]).inject({ method: 'GET', url: '/bug%zz' })
  assert.equal(plain.statusCode, 400)
  assert.equal((plain.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_INVALID')
  const own = build([], { problemOf: (err) => (err as { code?: string }).code === 'FST_ERR_BAD_URL' ? new SluiceError('SLUICE_ERR_REQUEST_TOO_LARGE', 'own reading', { statusCode: 413 }) : undefined })
  const mapped = await own.inject({ method: 'GET', url: '/bug%zz' })
  assert.deepEqual([mapped.statusCode, (mapped.json() as { code: string }).code], [413, 'SLUICE_ERR_REQUEST_TOO_LARGE'])
})

test('every answer carries the service\'s headers unless its route set its own; the preflight allows the service\'s methods', async () => {
  const app = build([])
  for (const url of ['/readyz', '/nowhere', '/bug']) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url)
    assert.equal(res.headers['access-control-allow-origin'], 'https://example.org', url)
    assert.equal(res.headers['content-security-policy'], "default-src 'self'", url)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/page' })).headers['content-security-policy'], "default-src 'none'")
  const preflight = await app.inject({ method: 'OPTIONS', url: '/anything' })
  assert.deepEqual([preflight.statusCode, preflight.headers.allow, preflight.headers['access-control-allow-methods']], [204, 'GET, OPTIONS', 'GET, OPTIONS'])
  const noCors = build([], { headers: { cors: false, methods: 'GET, OPTIONS', allowHeaders: 'accept', exposeHeaders: 'etag', contentSecurityPolicy: "default-src 'self'" } })
  assert.equal((await noCors.inject({ method: 'GET', url: '/readyz' })).headers['access-control-allow-origin'], undefined)
})

test('POST /admin/reload is there when the service reloads, and answers 503 unless everything reloaded', async () => {
  assert.equal((await build([]).inject({ method: 'POST', url: '/admin/reload' })).statusCode, 404)
  let streams = true
  const app = build([], { reload: async () => ({ streams, schemas: true }) })
  const ok = await app.inject({ method: 'POST', url: '/admin/reload' })
  assert.deepEqual([ok.statusCode, ok.json()], [200, { streams: true, schemas: true }])
  streams = false
  const failed = await app.inject({ method: 'POST', url: '/admin/reload' })
  assert.deepEqual([failed.statusCode, failed.json()], [503, { streams: false, schemas: true }])
})
