import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { CloudEvent, Kafka, Mode, emitterFor } from 'cloudevents'
import type { Message } from 'cloudevents'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import { readMessages, requireBrokers } from '../helpers/kafka.js'
import type { ReadMessage } from '../helpers/kafka.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'

// CloudEvents 1.0 at POST /v1/events, with the CloudEvents SDK for JavaScript (npm `cloudevents`)
// as the client: its HTTP binding writes the requests and its Kafka binding reads the records
// back. Each CloudEvent is compared with the EventGate form of the same event, posted to the
// same gateway against the same broker.

// The schema repository's public address, which a CloudEvents producer names in `dataschema`
// (the SDK insists on an absolute URI); the gateway reads its own copy of the repository.
const schemaBase = 'https://schema.example.org/repositories/primary/jsonschema'
const fixedNow = new Date('2026-03-04T05:06:07.089Z')

interface Running { url: string, prefix: string }

async function startGateway (t: TestContext, overrides: Record<string, unknown> = {}): Promise<Running> {
  const prefix = `ce${randomUUID().slice(0, 8)}.`
  const config = testGatewayConfig({
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    kafka: { brokers: requireBrokers() },
    cloudevents: { dataschema_prefixes: [`${schemaBase}/`], type_streams: { 'org.example.keyed': 'keyed.page' } },
    ...overrides
  })
  // One clock for both forms: meta.dt is the receive time.
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger(), now: () => fixedNow })
  t.after(() => gateway.close())
  return { url: await listen(gateway), prefix }
}

interface Answer { status: number, reason: string, body: string }

/** The SDK's emitter over undici, so that the answer's status and reason phrase can be read. */
function emitter (url: string, mode: Mode, headers: Record<string, string> = {}): (event: CloudEvent<unknown>) => Promise<Answer> {
  const emit = emitterFor(async (message: Message) => {
    const res = await request(`${url}/v1/events`, { method: 'POST', headers: { ...message.headers as Record<string, string>, ...headers }, body: String(message.body) })
    return { status: res.statusCode, reason: res.statusText, body: await res.body.text() }
  }, { mode })
  return async (event) => await emit(event) as Answer
}

async function postEventGate (url: string, events: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(events) })
  return { status: res.statusCode, reason: res.statusText, body: await res.body.text() }
}

function testCloudEvent (data: Record<string, unknown>, extra: Record<string, unknown> = {}): CloudEvent<Record<string, unknown>> {
  return new CloudEvent({
    id: randomUUID(),
    source: '/sluice/tests',
    type: 'org.example.test',
    time: '2024-05-06T07:08:09.000Z',
    dataschema: `${schemaBase}/test/event/1.0.0`,
    stream: 'test.event',
    data,
    ...extra
  })
}

/**
 * What a producer that knows EventGate sends for the same event: `$schema`, the stream and the
 * id as fields (these test schemas have no top-level `dt` for `time` to fill).
 */
function eventGateForm (ce: CloudEvent<Record<string, unknown>>, stream: string, schemaUri: string): Record<string, unknown> {
  const data = structuredClone(ce.data ?? {})
  return { ...data, $schema: schemaUri, meta: { ...data.meta as object, stream, id: ce.id } }
}

/** The SDK's Kafka binding reading a record back. */
function toCloudEvent (m: ReadMessage): CloudEvent<Record<string, unknown>> {
  const message = { headers: m.headers, key: m.key ?? '', value: m.value, body: m.value }
  return Kafka.toEvent(message) as CloudEvent<Record<string, unknown>>
}

const ceHeaders = (m: ReadMessage): Record<string, string> => Object.fromEntries(Object.entries(m.headers).filter(([name]) => name.startsWith('ce_') || name === 'content-type'))
const otherHeaders = (m: ReadMessage): Record<string, string> => Object.fromEntries(Object.entries(m.headers).filter(([name]) => !name.startsWith('ce_') && name !== 'content-type' && name !== 'traceparent'))

/** The record of a CloudEvent is the EventGate form's, plus the Kafka binding's headers. */
function assertSameRecord (cloud: ReadMessage, eventGate: ReadMessage): void {
  assert.deepEqual(JSON.parse(cloud.value), JSON.parse(eventGate.value))
  assert.equal(cloud.key, eventGate.key)
  assert.equal(cloud.timestamp, eventGate.timestamp)
  assert.equal(cloud.partition, eventGate.partition)
  assert.deepEqual(otherHeaders(cloud), otherHeaders(eventGate))
  assert.ok(cloud.headers.traceparent !== undefined && eventGate.headers.traceparent !== undefined, 'both carry trace context')
  assert.deepEqual(ceHeaders(eventGate), {}, 'the EventGate form has no CloudEvents headers')
}

test('structured mode: the record is the EventGate form\'s, plus the ce_* headers the SDK reads back as the same CloudEvent', async (t) => {
  const { url, prefix } = await startGateway(t)
  const ce = testCloudEvent({ test: randomUUID(), test_map: { a: 'b' } }, { subject: 'Main_Page', wikiid: 'enwiki' })
  const answer = await emitter(url, Mode.STRUCTURED, { 'x-request-id': 'req-1' })(ce)
  assert.equal(answer.status, 201, answer.body)
  assert.equal(answer.reason, 'All 1 out of 1 events were accepted.')
  const plain = await postEventGate(url, [eventGateForm(ce, 'test.event', '/test/event/1.0.0')], { 'x-request-id': 'req-1' })
  assert.equal(plain.status, 201, plain.body)

  const [cloud, eventGate] = await readMessages(`${prefix}test.event`, 2)
  assertSameRecord(cloud!, eventGate!)
  const value = JSON.parse(cloud!.value) as Record<string, unknown>
  assert.deepEqual(value.meta, { stream: 'test.event', id: ce.id, dt: fixedNow.toISOString(), request_id: 'req-1' })
  assert.equal(value.$schema, '/test/event/1.0.0')

  const readBack = toCloudEvent(cloud!)
  assert.equal(readBack.id, ce.id)
  assert.equal(readBack.source, ce.source)
  assert.equal(readBack.type, ce.type)
  assert.equal(readBack.specversion, '1.0')
  assert.equal(readBack.subject, 'Main_Page')
  assert.equal(readBack.time, ce.time)
  assert.equal(readBack.dataschema, ce.dataschema)
  assert.equal(readBack.datacontenttype, 'application/json')
  assert.equal(readBack.wikiid, 'enwiki')
  assert.equal(readBack.stream, 'test.event')
  assert.deepEqual(readBack.data, value)
})

test('binary mode: ce-* headers and the event as the body give the same record as the EventGate form, key included', async (t) => {
  const { url, prefix } = await startGateway(t)
  // No stream attribute: the configured type → stream map names keyed.page, whose key is built from the event.
  const ce = new CloudEvent({
    id: randomUUID(),
    source: 'https://en.wikipedia.org/',
    type: 'org.example.keyed',
    time: '2024-05-06T07:08:09.000Z',
    dataschema: `${schemaBase}/sluice/keyed/1.0.0`,
    subject: 'Ünïcode page "title" 100%',
    data: { wiki_id: 'enwiki', page: { page_id: 42 } }
  })
  const answer = await emitter(url, Mode.BINARY, { 'x-request-id': 'req-2' })(ce)
  assert.equal(answer.status, 201, answer.body)
  const plain = await postEventGate(url, [eventGateForm(ce, 'keyed.page', '/sluice/keyed/1.0.0')], { 'x-request-id': 'req-2' })
  assert.equal(plain.status, 201, plain.body)

  const [cloud, eventGate] = await readMessages(`${prefix}keyed.page`, 2)
  assertSameRecord(cloud!, eventGate!)
  assert.equal(cloud!.key, '{"wiki_id":"enwiki","page_id":42}')
  assert.equal((JSON.parse(cloud!.value) as { page: { page_title: string } }).page.page_title, 'Main_Page', 'schema defaults applied')
  assert.equal(cloud!.headers.ce_subject, 'Ünïcode page "title" 100%', 'the percent-encoded header value is decoded')
  const readBack = toCloudEvent(cloud!)
  assert.equal(readBack.id, ce.id)
  assert.equal(readBack.type, 'org.example.keyed')
})

test('batched mode: the same per-event answers, 207 semantics and error events as the EventGate form', async (t) => {
  const { url, prefix } = await startGateway(t)
  const good = testCloudEvent({ test: 'good' })
  const invalid = testCloudEvent({ test: 42 })
  const unknown = testCloudEvent({ test: 'lost' }, { stream: 'not.configured' })
  const batch = [good, invalid, unknown]
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8', 'x-request-id': 'req-3' }, body: JSON.stringify(batch) })
  const cloud: Answer = { status: res.statusCode, reason: res.statusText, body: await res.body.text() }
  const eventGate = await postEventGate(url, [eventGateForm(good, 'test.event', '/test/event/1.0.0'), eventGateForm(invalid, 'test.event', '/test/event/1.0.0'), eventGateForm(unknown, 'not.configured', '/test/event/1.0.0')], { 'x-request-id': 'req-3' })

  assert.equal(cloud.status, 207, cloud.body)
  assert.equal(cloud.reason, '1 out of 3 events were accepted, but 2 failed (1 invalid and 1 errored).')
  assert.deepEqual({ ...cloud, body: JSON.parse(cloud.body) as unknown }, { ...eventGate, body: JSON.parse(eventGate.body) as unknown })

  const records = await readMessages(`${prefix}test.event`, 2)
  assertSameRecord(records[0]!, records[1]!)
  const errors = await readMessages(`${prefix}eventgate.error.validation`, 2)
  // The same error event, but for its own meta.id (new for every error event) and the order of
  // the keys in raw_event.
  const comparable = (m: ReadMessage): unknown => {
    const value = JSON.parse(m.value) as { meta: { id?: string }, raw_event: string }
    assert.ok(value.meta.id !== undefined)
    delete value.meta.id
    return { ...value, raw_event: JSON.parse(value.raw_event) as unknown }
  }
  assert.deepEqual(comparable(errors[0]!), comparable(errors[1]!), 'the same error event')
  assert.equal((JSON.parse(errors[0]!.value) as { errored_stream_name: string }).errored_stream_name, 'test.event')
  assert.deepEqual(ceHeaders(errors[0]!), {}, 'error events are not CloudEvents')
})

test('invalid CloudEvents (missing specversion, id, source or type) are refused with 400 and a stable code, and nothing is produced', async (t) => {
  const { url, prefix } = await startGateway(t)
  const valid = testCloudEvent({ test: 'never produced' }).toJSON() as Record<string, unknown>
  for (const attribute of ['specversion', 'id', 'source', 'type']) {
    const event: Record<string, unknown> = { ...valid }
    delete event[attribute]
    for (const [type, body] of [['application/cloudevents+json', event], ['application/cloudevents-batch+json', [valid, event]]] as const) {
      const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) })
      const problem = await res.body.json() as { code: string, detail: string }
      assert.equal(res.statusCode, 400, `${type} without ${attribute}`)
      assert.equal(problem.code, 'SLUICE_ERR_CLOUDEVENT_INVALID')
      assert.match(problem.detail, new RegExp(`required attribute ${attribute} is missing`))
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': '/s', 'ce-type': 't' }
    if (attribute === 'specversion') {
      headers['ce-specversion'] = '0.3'
    } else {
      delete headers[`ce-${attribute}`]
    }
    const binary = await request(`${url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(valid.data) })
    assert.equal(binary.statusCode, 400, `binary without ${attribute}`)
    assert.equal((await binary.body.json() as { code: string }).code, 'SLUICE_ERR_CLOUDEVENT_INVALID')
  }
  // A valid one afterwards is the first record of the topic: the refused ones produced nothing.
  assert.equal((await emitter(url, Mode.STRUCTURED)(testCloudEvent({ test: 'after' }))).status, 201)
  const [first] = await readMessages(`${prefix}test.event`, 1)
  assert.equal((JSON.parse(first!.value) as { test: string }).test, 'after')
})
