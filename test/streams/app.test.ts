import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startStreamsFixture } from './fixture.js'

// The stream service's own answers outside its streams: unknown routes and requests it refuses
// answer with the problem body and a stable code, as the gateway's do, and carry its headers.

test('an unknown route of the stream service answers 404 with the problem body and SLUICE_ERR_NOT_FOUND', async (t) => {
  const fx = await startStreamsFixture(t)
  const res = await request(`${fx.url}/v2/nothing-here`)
  const body = await res.body.json() as Record<string, unknown>
  assert.equal(res.statusCode, 404)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  assert.deepEqual(body, { status: 404, code: 'SLUICE_ERR_NOT_FOUND', title: 'Not Found', detail: 'No route for GET /v2/nothing-here.', method: 'GET', uri: '/v2/nothing-here' })
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  assert.equal(res.headers['access-control-allow-origin'], '*')
  const post = await request(`${fx.url}/v2/stream/${fx.names.a}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  assert.deepEqual([post.statusCode, ((await post.body.json()) as { code: string }).code], [404, 'SLUICE_ERR_NOT_FOUND'])
})

test('a request the stream service refuses before any route (a malformed URL) answers 400 with SLUICE_ERR_REQUEST_INVALID', async (t) => {
  const fx = await startStreamsFixture(t)
  const res = await request(`${fx.url}/v2/stream/a%zz`)
  const body = await res.body.json() as Record<string, unknown>
  assert.equal(res.statusCode, 400)
  assert.equal(body.code, 'SLUICE_ERR_REQUEST_INVALID')
  assert.equal(body.uri, '/v2/stream/a%zz')
})
