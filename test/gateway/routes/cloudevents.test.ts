import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { buildTestGateway, createCapturingProducer } from '../../helpers/gateway.js'

// The CloudEvents intake of POST /v1/events through app.inject(), with a capturing producer.

const now = (): Date => new Date('2026-02-03T04:05:06.000Z')
// The project's own repository: its test/event declares a top-level `dt` for `time` to fill.
const projectSchemas = fileURLToPath(new URL('../../../schemas/', import.meta.url))

function cloudEvent (data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id: 'ce-1', source: '/tests', type: 'org.example.test', dataschema: '/test/event/1.0.0', stream: 'test.event', data, ...extra }
}

test('id fills meta.id and time fills dt where the event lacks them and its schema declares them', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now, config: { schema_base_uris: [projectSchemas] } })
  const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/cloudevents+json' }, payload: cloudEvent({ test: 'x' }, { time: '2025-01-02T03:04:05Z' }) })
  assert.equal(res.statusCode, 201, res.body)
  const own = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/cloudevents+json' }, payload: cloudEvent({ test: 'x', dt: '2020-01-01T00:00:00Z', meta: { id: 'mine' } }, { time: '2025-01-02T03:04:05Z' }) })
  assert.equal(own.statusCode, 201, own.body)
  const [first, second] = producer.records.map((r) => JSON.parse(String(r.value)) as { dt: string, meta: { id: string, dt: string } })
  assert.equal(first!.meta.id, 'ce-1')
  assert.equal(first!.dt, '2025-01-02T03:04:05Z')
  assert.equal(first!.meta.dt, '2026-02-03T04:05:06.000Z')
  assert.equal(second!.meta.id, 'mine', 'the event\'s own fields win')
  assert.equal(second!.dt, '2020-01-01T00:00:00Z')
})

test('hasty and validate_only work for CloudEvents as for EventGate events', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const headers = { 'content-type': 'application/cloudevents-batch+json' }
  const checked = await app.inject({ method: 'POST', url: '/v1/events?validate_only=true', headers, payload: [cloudEvent({}), cloudEvent({}, { id: 'ce-2' })] })
  assert.equal(checked.statusCode, 200)
  assert.equal(producer.records.length, 0)
  const hasty = await app.inject({ method: 'POST', url: '/v1/events?hasty=true', headers, payload: [cloudEvent({})] })
  assert.equal(hasty.statusCode, 202)
  const [record] = await producer.waitFor(1)
  assert.equal(record!.headers?.ce_id, 'ce-1')
})

test('data_base64 of JSON is the event; other data, no data, or a non-JSON datacontenttype is refused', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const post = async (body: unknown): Promise<{ status: number, detail: string }> => {
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/cloudevents+json' }, payload: JSON.stringify(body) })
    return { status: res.statusCode, detail: res.statusCode === 201 ? '' : (res.json<{ detail: string }>()).detail }
  }
  const base64 = { ...cloudEvent(undefined), data_base64: Buffer.from(JSON.stringify({ test: 'b64' })).toString('base64'), datacontenttype: 'application/json' }
  assert.equal((await post(base64)).status, 201)
  assert.equal((JSON.parse(String(producer.records[0]!.value)) as { test: string }).test, 'b64')
  assert.match((await post(cloudEvent(undefined))).detail, /has no data/)
  assert.match((await post(cloudEvent('text'))).detail, /data is not a JSON object/)
  assert.match((await post(cloudEvent({}, { datacontenttype: 'text/xml' }))).detail, /not JSON/)
  assert.match((await post(cloudEvent({}, { time: 'yesterday' }))).detail, /RFC 3339/)
  assert.match((await post(cloudEvent({}, { 'Bad-Name': 'x' }))).detail, /not a valid attribute name/)
  assert.match((await post(cloudEvent({}, { ext: { nested: true } }))).detail, /invalid value/)
  assert.match((await post([cloudEvent({})])).detail, /send a batch as application\/cloudevents-batch\+json/)
  assert.equal(producer.records.length, 1)
})

test('an empty batch is EventGate\'s empty request; a batch is bounded by max_events_per_request and its events by max_event_depth', async (t) => {
  const { app } = await buildTestGateway(t, { now, config: { max_events_per_request: 2, max_event_depth: 4 } })
  const headers = { 'content-type': 'application/cloudevents-batch+json' }
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', headers, payload: [] })).statusCode, 400)
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', headers, payload: [cloudEvent({}), cloudEvent({}), cloudEvent({})] })).statusCode, 413)
  // Four levels in the event: accepted although the envelope and the batch add two above it.
  const within = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: [cloudEvent({ test_map: { a: { b: { c: 'd' } } } })] })
  assert.equal(within.statusCode, 400, 'schema-invalid, but parsed')
  assert.ok(within.json<{ invalid: unknown[] }>().invalid.length === 1, within.body)
  const tooDeep = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: [cloudEvent({ test_map: { a: { b: { c: { d: 'e' } } } } })] })
  assert.equal(tooDeep.json<{ code: string }>().code, 'SLUICE_ERR_REQUEST_TOO_DEEP')
})

test('binary mode: percent-encoded and quoted header values are decoded; ce-datacontenttype is refused', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const headers = { 'content-type': 'application/json; charset=utf-8', 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/tests', 'ce-type': 't', 'ce-dataschema': '/test/event/1.0.0', 'ce-stream': 'test.event' }
  const ok = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...headers, 'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80', 'ce-quoted': '"a \\"b\\""' }, payload: { test: 'bin' } })
  assert.equal(ok.statusCode, 201, ok.body)
  assert.equal(producer.records[0]!.headers?.ce_subject, 'Euro € 😀')
  assert.equal(producer.records[0]!.headers?.ce_quoted, 'a "b"')
  const overlong = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...headers, 'ce-subject': '%C0%A0' }, payload: { test: 'bin' } })
  assert.equal(overlong.statusCode, 400, 'an overlong UTF-8 encoding is refused')
  const doubled = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...headers, 'ce-datacontenttype': 'application/json' }, payload: { test: 'bin' } })
  assert.equal(doubled.statusCode, 400)
  assert.equal(producer.records.length, 1)
})
