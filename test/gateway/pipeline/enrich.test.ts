import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clientIp, declares, enrichEvent, metaDtPolicyOf } from '../../../src/gateway/pipeline/enrich.js'

const schema = {
  type: 'object',
  properties: {
    meta: { type: 'object', properties: { id: { type: 'string' }, dt: { type: 'string' }, request_id: { type: 'string' }, stream: { type: 'string' } } },
    http: {
      type: 'object',
      properties: {
        client_ip: { type: 'string' },
        request_headers: { type: 'object', additionalProperties: { type: 'string' } }
      }
    }
  }
}
const headersToFields = { 'x-request-id': 'meta.request_id', 'user-agent': 'http.request_headers.user-agent' }
const now = new Date('2026-01-02T03:04:05.000Z')
const request = { requestId: 'req-1', headers: { 'user-agent': 'MediaWiki/1.45', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }, remoteAddress: '127.0.0.1', query: {} }

test('fills meta.id, meta.dt, request id, user agent and client ip where the schema declares them', () => {
  const event: Record<string, unknown> = { meta: { stream: 's' } }
  enrichEvent(event, schema, request, { headersToFields, now, newId: () => 'id-1' })
  assert.deepEqual(event, {
    meta: { stream: 's', id: 'id-1', dt: '2026-01-02T03:04:05.000Z', request_id: 'req-1' },
    http: { request_headers: { 'user-agent': 'MediaWiki/1.45' }, client_ip: '10.0.0.1' }
  })
})

test('never overwrites what the producer set', () => {
  const event = { meta: { stream: 's', id: 'mine', dt: '2020-01-01T00:00:00Z', request_id: 'theirs' }, http: { client_ip: '1.2.3.4' } }
  enrichEvent(event, schema, request, { headersToFields, now, newId: () => 'id-1' })
  assert.equal(event.meta.id, 'mine')
  assert.equal(event.meta.dt, '2020-01-01T00:00:00Z')
  assert.equal(event.meta.request_id, 'theirs')
  assert.equal(event.http.client_ip, '1.2.3.4')
})

test('meta_dt_policy: keep never fills meta.dt, fill fills it when absent, intake always sets the intake time', () => {
  const stamped = (): { meta: Record<string, unknown> } => ({ meta: { stream: 's', dt: '2020-01-01T00:00:00Z' } })
  const bare = (): { meta: Record<string, unknown> } => ({ meta: { stream: 's' } })
  const run = (event: { meta: Record<string, unknown> }, metaDt: 'keep' | 'fill' | 'intake'): unknown => {
    enrichEvent(event, schema, request, { headersToFields, now, newId: () => 'id-1', metaDt })
    return event.meta.dt
  }
  assert.equal(run(stamped(), 'keep'), '2020-01-01T00:00:00Z')
  assert.equal(run(bare(), 'keep'), undefined)
  assert.equal(run(stamped(), 'fill'), '2020-01-01T00:00:00Z')
  assert.equal(run(bare(), 'fill'), now.toISOString())
  assert.equal(run(stamped(), 'intake'), now.toISOString())
  assert.equal(run(bare(), 'intake'), now.toISOString())
  const strict: Record<string, unknown> = { meta: { stream: 's' } }
  enrichEvent(strict, { type: 'object', properties: { meta: { type: 'object', properties: { stream: { type: 'string' } } } } }, request, { headersToFields, now, newId: () => 'i', metaDt: 'intake' })
  assert.deepEqual(strict, { meta: { stream: 's' } }, 'intake adds no meta.dt a schema does not declare')
})

test('a stream\'s meta_dt_policy wins over the gateway\'s; anything else in its place is ignored', () => {
  assert.equal(metaDtPolicyOf({ schema_title: 't', meta_dt_policy: 'intake' }, 'fill'), 'intake')
  assert.equal(metaDtPolicyOf({ schema_title: 't' }, 'keep'), 'keep')
  assert.equal(metaDtPolicyOf(undefined, 'fill'), 'fill')
  assert.equal(metaDtPolicyOf({ meta_dt_policy: 'sometimes' }, 'fill'), 'fill')
})

test('adds nothing the schema does not declare', () => {
  const event: Record<string, unknown> = { meta: { stream: 's' } }
  enrichEvent(event, { type: 'object', properties: { meta: { type: 'object', properties: { stream: { type: 'string' } } } } }, request, { headersToFields, now, newId: () => 'id-1' })
  assert.deepEqual(event, { meta: { stream: 's' } })
})

test('header values are truncated to 400 characters', () => {
  const event: Record<string, unknown> = {}
  enrichEvent(event, schema, { ...request, headers: { 'user-agent': 'x'.repeat(1000) } }, { headersToFields, now, newId: () => 'i' })
  assert.equal(((event.http as Record<string, Record<string, string>>).request_headers?.['user-agent'] ?? '').length, 400)
})

test('client ip prefers X-Client-IP, then leftmost X-Forwarded-For, then the socket', () => {
  assert.equal(clientIp({ requestId: 'r', headers: { 'x-client-ip': '9.9.9.9', 'x-forwarded-for': '1.1.1.1' }, remoteAddress: '127.0.0.1', query: {} }), '9.9.9.9')
  assert.equal(clientIp({ requestId: 'r', headers: { 'x-forwarded-for': ' 1.1.1.1 , 2.2.2.2' }, remoteAddress: '127.0.0.1', query: {} }), '1.1.1.1')
  assert.equal(clientIp({ requestId: 'r', headers: {}, remoteAddress: '127.0.0.1', query: {} }), '127.0.0.1')
})

test('declares walks properties only', () => {
  assert.equal(declares(schema, 'meta.id'), true)
  assert.equal(declares(schema, 'meta.nope'), false)
  assert.equal(declares(schema, 'meta.id.deeper'), false)
})
