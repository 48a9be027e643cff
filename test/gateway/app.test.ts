import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync, deflateSync } from 'node:zlib'
import { SluiceError } from '../../src/errors.js'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createGateway } from '../../src/gateway/index.js'
import { createLogger } from '../../src/logger.js'
import { buildTestGateway, createCapturingProducer, fixturesDir, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { startHttpServer } from '../helpers/http-server.js'
import { waitFor } from '../helpers/wait.js'

const now = (): Date => new Date('2026-02-03T04:05:06.000Z')

function testEvent (extra: Record<string, unknown> = {}): Record<string, unknown> {
  // Within max_timestamp_skew_ms (1 hour) of now(): the record timestamp is the client's meta.dt.
  return { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: '2026-02-03T03:30:00Z' }, test: 'hello', ...extra }
}

test('one valid event: 201, no body, EventGate reason phrase, produced with prefix and timestamp', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent(), headers: { 'x-request-id': 'req-42' } })
  assert.equal(res.statusCode, 201)
  assert.equal(res.statusMessage, 'All 1 out of 1 events were accepted.')
  assert.equal(res.body, '')
  assert.equal(producer.records.length, 1)
  const record = producer.records[0]!
  assert.equal(record.topic, 'eqiad.test.event')
  assert.equal(record.key, null)
  assert.equal(record.timestamp, Date.parse('2026-02-03T03:30:00Z'))
  const produced = JSON.parse(String(record.value)) as Record<string, Record<string, unknown>>
  assert.equal(produced.meta!.id, 'id-1', 'meta.id is added when absent')
  assert.equal(produced.meta!.request_id, 'req-42', 'meta.request_id comes from X-Request-ID')
  assert.equal(produced.meta!.dt, '2026-02-03T03:30:00Z', 'a producer-set meta.dt is kept')
})

test('meta.dt is set to ingestion time when absent, and schema defaults are applied', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [{ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' } }] })
  assert.equal(res.statusCode, 201)
  const produced = JSON.parse(String(producer.records[0]!.value)) as Record<string, Record<string, unknown>>
  assert.equal(produced.meta!.dt, '2026-02-03T04:05:06.000Z')
  assert.equal(produced.test, 'default value')
})

test('keys come from message_key_fields; user agent and client ip are enriched where declared', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'user-agent': 'MediaWiki/1.45', 'x-client-ip': '192.0.2.7' },
    payload: { $schema: '/sluice/keyed/1.0.0', meta: { stream: 'keyed.page' }, wiki_id: 'enwiki', page: { page_id: 12 } }
  })
  assert.equal(res.statusCode, 201, res.body)
  const record = producer.records[0]!
  assert.equal(record.topic, 'eqiad.keyed.page')
  assert.equal(record.key, '{"wiki_id":"enwiki","page_id":12}')
  const produced = JSON.parse(String(record.value)) as { http: { client_ip: string, request_headers: Record<string, string> }, page: { page_title: string } }
  assert.equal(produced.http.client_ip, '192.0.2.7')
  assert.equal(produced.http.request_headers['user-agent'], 'MediaWiki/1.45')
  assert.equal(produced.page.page_title, 'Main_Page')
})

test('all invalid: 400 with {invalid} carrying Ajv errors and errorsText, then an error event', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, now })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent({ test: 5 })] })
  assert.equal(res.statusCode, 400)
  assert.equal(res.statusMessage, '1 out of 1 events were invalid and not accepted.')
  const body = res.json() as { invalid: Array<{ status: string, event: { test: number }, context: { errors: Array<{ instancePath: string }>, errorsText: string } }>, error?: unknown }
  assert.equal(body.error, undefined)
  assert.equal(body.invalid[0]!.status, 'invalid')
  assert.equal(body.invalid[0]!.event.test, 5)
  assert.equal(body.invalid[0]!.context.errors[0]!.instancePath, '/test')
  assert.match(body.invalid[0]!.context.errorsText, /test/)
  const records = await producer.waitFor(1)
  assert.equal(records[0]!.topic, 'eqiad.eventgate.error.validation')
  const errorEvent = JSON.parse(String(records[0]!.value)) as Record<string, unknown>
  assert.equal(errorEvent.$schema, '/error/2.1.0')
  assert.equal(errorEvent.errored_stream_name, 'test.event')
  assert.equal(errorEvent.error_type, 'ValidationError')
  assert.equal(JSON.parse(String(errorEvent.raw_event)).test, 5)
})

test('mixed: 207 with both lists; non-object elements are errors like EventGate', async (t) => {
  const { app } = await buildTestGateway(t)
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent(), testEvent({ test: 1 }), 1, null] })
  assert.equal(res.statusCode, 207)
  assert.equal(res.statusMessage, '1 out of 4 events were accepted, but 3 failed (1 invalid and 2 errored).')
  const body = res.json() as { invalid: unknown[], error: Array<{ event: unknown, context: { message: string, code: string } }> }
  assert.equal(body.invalid.length, 1)
  assert.deepEqual(body.error.map((e) => e.event), [1, null])
  assert.equal(body.error[0]!.context.message, 'Field(s) $schema were missing from event and could not be extracted.')
  assert.equal(body.error[0]!.context.code, 'SLUICE_ERR_EVENT_FIELD_MISSING')
})

test('errors: unknown schema, undeclared stream, title mismatch → 500 with messages', async (t) => {
  const { app } = await buildTestGateway(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: [
      { $schema: '/nope/1.0.0', meta: { stream: 'test.event' } },
      testEvent({ meta: { stream: 'undeclared.stream' } }),
      testEvent({ meta: { stream: 'keyed.page' } })
    ]
  })
  assert.equal(res.statusCode, 500)
  const errors = (res.json() as { error: Array<{ context: { message: string, code: string } }> }).error
  assert.equal(errors.length, 3)
  assert.match(errors[0]!.context.message, /\/nope\/1\.0\.0/)
  assert.equal(errors[1]!.context.code, 'SLUICE_ERR_STREAM_NOT_CONFIGURED')
  assert.match(errors[1]!.context.message, /destined to stream undeclared\.stream is not allowed in stream; undeclared\.stream is not configured\./)
  assert.equal(errors[2]!.context.code, 'SLUICE_ERR_STREAM_SCHEMA_MISMATCH')
  assert.match(errors[2]!.context.message, /schema title must be sluice\/keyed\./)
})

test('streams matched by a /regex/ key are allowed', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent({ meta: { stream: 'test.regex.one' } }) })
  assert.equal(res.statusCode, 201)
  assert.equal(producer.records[0]!.topic, 'eqiad.test.regex.one')
})

test('absolute and traversing schema URIs are refused without touching the filesystem', async (t) => {
  const { app } = await buildTestGateway(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: [
      testEvent({ $schema: 'file:///etc/passwd' }),
      testEvent({ $schema: '/../../../etc/passwd' }),
      testEvent({ $schema: 'http://169.254.169.254/latest/meta-data' })
    ]
  })
  assert.equal(res.statusCode, 500)
  const errors = (res.json() as { error: Array<{ context: { code: string } }> }).error
  assert.equal(errors.length, 3)
  for (const error of errors) assert.equal(error.context.code, 'SLUICE_ERR_SCHEMA_URI_REFUSED')
})

test('?hasty=true answers 202 first and still produces', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const res = await app.inject({ method: 'POST', url: '/v1/events?hasty=true', payload: [testEvent(), testEvent()] })
  assert.equal(res.statusCode, 202)
  assert.equal(res.statusMessage, '2 events hastily received.')
  assert.equal((await producer.waitFor(2)).length, 2)
})

test('?hasty=false is not hasty', async (t) => {
  const { app } = await buildTestGateway(t)
  const res = await app.inject({ method: 'POST', url: '/v1/events?hasty=false', payload: testEvent() })
  assert.equal(res.statusCode, 201)
})

test('Kafka unavailable: 503 with Retry-After and the per-event errors', async (t) => {
  const producer = createCapturingProducer()
  producer.failWith = new SluiceError('SLUICE_ERR_KAFKA_UNAVAILABLE', 'Kafka did not acknowledge within 5000 ms', { statusCode: 503, retriable: true })
  const { app } = await buildTestGateway(t, { producer })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent() })
  assert.equal(res.statusCode, 503)
  assert.equal(res.headers['retry-after'], '5')
  const body = res.json() as { error: Array<{ context: { code: string } }> }
  assert.equal(body.error[0]!.context.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
})

test('bad requests get a problem body with a stable code', async (t) => {
  const { app } = await buildTestGateway(t)
  const cases: Array<{ payload: string, type?: string, status: number, code: string }> = [
    { payload: '', status: 400, code: 'SLUICE_ERR_REQUEST_EMPTY' },
    { payload: '{}', status: 400, code: 'SLUICE_ERR_REQUEST_EMPTY' },
    { payload: '[]', status: 400, code: 'SLUICE_ERR_REQUEST_EMPTY' },
    { payload: '{"a":', status: 400, code: 'SLUICE_ERR_REQUEST_MALFORMED_JSON' },
    { payload: '"just a string"', status: 400, code: 'SLUICE_ERR_REQUEST_NOT_EVENTS' },
    { payload: '42', status: 400, code: 'SLUICE_ERR_REQUEST_NOT_EVENTS' },
    { payload: '{"__proto__":{"x":1}}', status: 400, code: 'SLUICE_ERR_REQUEST_MALFORMED_JSON' },
    { payload: 'a=b', type: 'application/x-www-form-urlencoded', status: 415, code: 'SLUICE_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE' }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/events', payload: c.payload, headers: { 'content-type': c.type ?? 'application/json' } })
    assert.equal(res.statusCode, c.status, `${c.payload}: ${res.body}`)
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const problem = res.json() as { code: string, status: number, detail: string }
    assert.equal(problem.code, c.code, c.payload)
    assert.equal(problem.status, c.status)
  }
})

test('bodies over max_body_size get 413, compressed or not, including a gzip bomb', async (t) => {
  const { app } = await buildTestGateway(t, { config: { max_body_size: '1kb' } })
  const big = JSON.stringify(testEvent({ test: 'x'.repeat(2000) }))
  const plain = await app.inject({ method: 'POST', url: '/v1/events', payload: big, headers: { 'content-type': 'application/json' } })
  assert.equal(plain.statusCode, 413)
  assert.equal((plain.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_TOO_LARGE')
  const bomb = gzipSync(Buffer.from(JSON.stringify([testEvent({ test: ' '.repeat(500_000) })])))
  assert.ok(bomb.length < 1024, 'the compressed body itself is under the limit')
  const inflated = await app.inject({ method: 'POST', url: '/v1/events', payload: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })
  assert.equal(inflated.statusCode, 413)
  assert.equal((inflated.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_TOO_LARGE')
})

test('gzip and deflate request bodies are inflated; unknown encodings answer 415', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const body = Buffer.from(JSON.stringify([testEvent()]))
  const gz = await app.inject({ method: 'POST', url: '/v1/events', payload: gzipSync(body), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })
  assert.equal(gz.statusCode, 201)
  const df = await app.inject({ method: 'POST', url: '/v1/events', payload: deflateSync(body), headers: { 'content-type': 'application/json', 'content-encoding': 'deflate' } })
  assert.equal(df.statusCode, 201)
  assert.equal(producer.records.length, 2)
  const bad = await app.inject({ method: 'POST', url: '/v1/events', payload: body, headers: { 'content-type': 'application/json', 'content-encoding': 'compress' } })
  assert.equal(bad.statusCode, 415)
  assert.equal((bad.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_BAD_ENCODING')
  const corrupt = await app.inject({ method: 'POST', url: '/v1/events', payload: body, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })
  assert.equal(corrupt.statusCode, 415)
})

test('text/plain (sendBeacon), application/reports+json and other charsets are JSON', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  for (const type of ['text/plain;charset=UTF-8', 'application/reports+json', 'application/json; charset=iso-8859-1']) {
    const res = await app.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(testEvent({ test: 'café' })), headers: { 'content-type': type } })
    assert.equal(res.statusCode, 201, type)
  }
  assert.equal(producer.records.length, 3)
  assert.equal((JSON.parse(String(producer.records[0]!.value)) as { test: string }).test, 'café')
})

test('a UTF-8 body may start with a byte order mark', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(testEvent({ test: 'café' })))])
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'content-type': 'application/json' } })
  assert.equal(res.statusCode, 201)
  assert.equal((JSON.parse(String(producer.records[0]!.value)) as { test: string }).test, 'café')
})

test('GET /v1/_test/events runs the configured test events; 404 when none are configured', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, config: { test_events: testEvent() } })
  assert.equal((await app.inject({ method: 'GET', url: '/v1/_test/events' })).statusCode, 201)
  assert.equal((await app.inject({ method: 'GET', url: '/v1/_test/events' })).statusCode, 201, 'test events are cloned per request')
  assert.equal(producer.records.length, 2)
  const other = await buildTestGateway(t)
  const res = await other.app.inject({ method: 'GET', url: '/v1/_test/events' })
  assert.equal(res.statusCode, 404)
  assert.equal((res.json() as { code: string }).code, 'SLUICE_ERR_TEST_EVENTS_NOT_CONFIGURED')
})

test('stream config routes', async (t) => {
  const { app } = await buildTestGateway(t)
  const all = (await app.inject({ method: 'GET', url: '/v1/streams' })).json() as Record<string, unknown>
  assert.deepEqual(Object.keys(all).sort(), ['/^test\\.regex\\..+$/', 'deduped.event', 'eventgate.error.validation', 'eventlogging_TestLegacy', 'keyed.page', 'limited.count', 'limited.rate', 'limited.size', 'test.event', 'w3c.reportingapi.test_report'])
  const some = (await app.inject({ method: 'GET', url: '/v1/stream-configs/test.event|test.regex.x,nope' })).json()
  assert.deepEqual(some, { 'test.event': { schema_title: 'test/event' }, 'test.regex.x': { schema_title: 'test/event' } })
})

test('info, robots, OpenAPI spec and unknown routes', async (t) => {
  const { app } = await buildTestGateway(t)
  const info = (await app.inject({ method: 'GET', url: '/_info' })).json() as { name: string, version: string }
  assert.equal(info.name, 'sluice')
  assert.equal((await app.inject({ method: 'GET', url: '/robots.txt' })).body, 'User-agent: *\nDisallow: /\n')
  const spec = (await app.inject({ method: 'GET', url: '/?spec' })).json() as { openapi: string, paths: Record<string, unknown> }
  assert.equal(spec.openapi, '3.0.3')
  for (const path of ['/v1/events', '/v1/_test/events', '/v1/streams', '/healthz', '/readyz', '/metrics']) assert.ok(spec.paths[path], path)
  const missing = await app.inject({ method: 'GET', url: '/v1/events' })
  assert.equal(missing.statusCode, 404)
  assert.equal((missing.json() as { code: string }).code, 'SLUICE_ERR_NOT_FOUND')
})

test('health, readiness follows Kafka, metrics count events by stream and outcome', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer })
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  producer.ready = false
  const notReady = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(notReady.statusCode, 503)
  assert.deepEqual(notReady.json(), { ready: false, checks: { kafka: false, stream_config: true } })
  await app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent(), testEvent({ test: 3 })] })
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="accepted"\} 1/)
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="invalid"\} 1/)
  assert.match(metrics, /sluice_gateway_http_request_duration_seconds_count\{route="\/v1\/events",method="POST",status_code="207"\} 1/)
})

test('CORS and security headers; OPTIONS preflight', async (t) => {
  const { app } = await buildTestGateway(t)
  const res = await app.inject({ method: 'OPTIONS', url: '/v1/events', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } })
  assert.equal(res.statusCode, 204)
  assert.equal(res.headers['access-control-allow-origin'], '*')
  assert.match(String(res.headers['access-control-allow-methods']), /POST/)
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  const closed = await buildTestGateway(t, { config: { cors: false } })
  const res2 = await closed.app.inject({ method: 'GET', url: '/healthz' })
  assert.equal(res2.headers['access-control-allow-origin'], undefined)
})

test('close waits for hasty work already accepted', async (t) => {
  const producer = createCapturingProducer()
  const gateway = await buildTestGateway(t, { producer })
  const res = await gateway.app.inject({ method: 'POST', url: '/v1/events?hasty=1', payload: Array.from({ length: 50 }, () => testEvent()) })
  assert.equal(res.statusCode, 202)
  await gateway.close()
  assert.equal(producer.records.length, 50)
})

test('hasty work waiting for Kafka is bounded: beyond hasty_max_pending_events the 202 waits for room', async (t) => {
  const producer = createCapturingProducer()
  let openKafka!: () => void
  const kafka = new Promise<void>((resolve) => { openKafka = resolve })
  const send = producer.send.bind(producer)
  producer.send = async (records) => { await kafka; await send(records) }
  const { app } = await buildTestGateway(t, { producer, config: { hasty_max_pending_events: 2 } })
  const waitingRequests = async (): Promise<string | undefined> =>
    /^sluice_gateway_hasty_waiting_requests (\d+)$/m.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]

  const first = await app.inject({ method: 'POST', url: '/v1/events?hasty=true', payload: [testEvent(), testEvent()] })
  assert.equal(first.statusCode, 202)
  const order: string[] = []
  const second = app.inject({ method: 'POST', url: '/v1/events?hasty=true', payload: testEvent() }).then((res) => { order.push('answered'); return res })
  while (await waitingRequests() !== '1') await new Promise((resolve) => setImmediate(resolve))
  order.push('kafka answers')
  openKafka()
  assert.equal((await second).statusCode, 202)
  assert.deepEqual(order, ['kafka answers', 'answered'])
  await producer.waitFor(3)
  assert.equal(await waitingRequests(), '0')
})

test('POST /admin/reload answers 503 when the stream config cannot be re-read, and the last good config stays', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'sluice-reload-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'streams.yaml')
  await writeFile(file, 'test.event:\n  schema_title: test/event\n')
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, config: { stream_config_uri: file } })
  await writeFile(file, 'test.event: {schema_title: [unclosed\n')
  const res = await app.inject({ method: 'POST', url: '/admin/reload' })
  assert.equal(res.statusCode, 503)
  assert.deepEqual(res.json(), { streams: false, schemas: true })
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent() })).statusCode, 201)
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /sluice_gateway_stream_config_reloads_total\{result="failed"\} 1/)
})

function nested (levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true }
  for (let i = 1; i < levels; i++) value = { inner: value }
  return value
}

test('an event nested deeper than max_event_depth answers 400 SLUICE_ERR_REQUEST_TOO_DEEP; one at the limit is accepted', async (t) => {
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, config: { max_event_depth: 8 } })
  // testEvent() is one level; `deep` adds its own levels below it.
  const atLimit = await app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent({ deep: nested(7) })] })
  assert.equal(atLimit.statusCode, 201, atLimit.body)
  const over = await app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent({ deep: nested(8) })] })
  assert.equal(over.statusCode, 400)
  assert.equal((over.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_TOO_DEEP')
  assert.equal(producer.records.length, 1)
})

test('an event nested 5,000 levels deep answers 400 with the default limit, not 500', async (t) => {
  const { app } = await buildTestGateway(t)
  const payload = `{"$schema":"/test/event/1.0.0","meta":{"stream":"test.event"},"test":"x","deep":${'['.repeat(5000)}${']'.repeat(5000)}}`
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'content-type': 'application/json' } })
  assert.equal(res.statusCode, 400, res.body.slice(0, 300))
  assert.equal((res.json() as { code: string }).code, 'SLUICE_ERR_REQUEST_TOO_DEEP')
})

test('an EventStreamConfig entry without settings or schema_title fails only its own events, logged once at warn, and reloads go on', async (t) => {
  let streams: Record<string, unknown> = {
    'test.event': { schema_title: 'test/event' },
    'no.settings': [],
    'no.title': { destination_event_service: 'eventgate-main' }
  }
  const server = await startHttpServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ streams }))
  }, t)
  const lines: string[] = []
  const producer = createCapturingProducer()
  const gateway = await createGateway(testGatewayConfig({ stream_config_uri: `${server.origin}/w/api.php?action=streamconfigs` }), {
    cwd: fixturesDir, logger: testLogger(lines), producer
  })
  t.after(() => gateway.close())
  const { app } = gateway

  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: [testEvent(), testEvent({ meta: { stream: 'no.settings' } }), testEvent({ meta: { stream: 'no.title' } })]
  })
  assert.equal(res.statusCode, 207)
  const errors = (res.json() as { error: Array<{ context: { message: string, code: string } }> }).error
  assert.deepEqual(errors.map((e) => e.context.code), ['SLUICE_ERR_STREAM_CONFIG_INCOMPLETE', 'SLUICE_ERR_STREAM_CONFIG_INCOMPLETE'])
  assert.match(errors[0]!.context.message, /destined to stream no\.settings is not allowed in stream; no\.settings is configured but does not have any settings\.$/)
  assert.match(errors[1]!.context.message, /destined to stream no\.title is not allowed in stream; no\.title does not have a schema_title setting\.$/)
  assert.equal(producer.records.length, 1)

  streams = { ...streams, 'test.later': { schema_title: 'test/event' } }
  const reload = await app.inject({ method: 'POST', url: '/admin/reload' })
  assert.deepEqual(reload.json(), { streams: true, schemas: true })
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent({ meta: { stream: 'test.later' } }) })).statusCode, 201)

  const warnings = lines.map((line) => JSON.parse(line) as { level: number, stream?: string, problem?: string })
    .filter((line) => line.problem !== undefined)
  assert.deepEqual(warnings.map((w) => [w.level, w.stream, w.problem]).sort(), [[40, 'no.settings', 'no_settings'], [40, 'no.title', 'no_schema_title']])
})

test('client mistakes keep EventGate\'s 500 but count with their reason and log at warn; Kafka trouble logs at error', async (t) => {
  const lines: string[] = []
  const producer = createCapturingProducer()
  const gateway = await createGateway(testGatewayConfig(), { cwd: fixturesDir, logger: testLogger(lines), producer })
  t.after(() => gateway.close())
  const { app } = gateway
  const mistakes = await app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: [{ $schema: '/nope/1.0.0', meta: { stream: 'test.event' } }, testEvent({ meta: { stream: 'undeclared.stream' } })]
  })
  assert.equal(mistakes.statusCode, 500)
  const levels = (): number[] => lines.map((line) => (JSON.parse(line) as { level: number }).level)
  assert.ok(levels().length >= 3, 'the failures were logged')
  assert.deepEqual(levels().filter((level) => level >= 50), [], 'nothing at error for client mistakes')

  producer.failWith = new SluiceError('SLUICE_ERR_KAFKA_UNAVAILABLE', 'Kafka did not acknowledge within 5000 ms', { statusCode: 503, retriable: true })
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent() })).statusCode, 503)
  assert.ok(levels().some((level) => level >= 50), 'Kafka trouble is logged at error')

  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="error",reason="schema_not_found"\} 1/)
  assert.match(metrics, /sluice_gateway_events_total\{stream="_unknown",outcome="error",reason="stream_not_configured"\} 1/)
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="error",reason="kafka_unavailable"\} 1/)
})

test('an over-long $schema path segment and an author\'s draft (current.yaml) are client mistakes: their reason, warn, not counted as server errors, and the draft does not take its version\'s $id', async (t) => {
  const lines: string[] = []
  // The repository's own schemas: test/event has its author's current.yaml next to 1.0.0.
  const schemas = fileURLToPath(new URL('../../schemas/', import.meta.url))
  const gateway = await createGateway(testGatewayConfig({ schema_base_uris: [schemas] }), { cwd: fixturesDir, logger: testLogger(lines), producer: createCapturingProducer() })
  t.after(() => gateway.close())
  const post = async (uri: string): Promise<{ statusCode: number, code: string | undefined }> => {
    const res = await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: testEvent({ $schema: uri, dt: '2019-01-01T00:00:00Z' }) })
    const body = res.statusCode === 201 ? undefined : res.json<{ error?: Array<{ context: { code: string } }> }>()
    return { statusCode: res.statusCode, code: body?.error?.[0]?.context.code }
  }
  // The draft first: compiled, it would have taken /test/event/1.0.0 from the published version.
  assert.deepEqual(await post('/test/event/current.yaml'), { statusCode: 500, code: 'SLUICE_ERR_SCHEMA_NOT_PUBLISHED' })
  assert.deepEqual(await post(`/test/event/${'x'.repeat(300)}`), { statusCode: 500, code: 'SLUICE_ERR_SCHEMA_URI_REFUSED' })
  // Short enough to be a segment, too long a file name once `.yaml` is appended.
  assert.deepEqual(await post(`/test/event/${'x'.repeat(252)}`), { statusCode: 500, code: 'SLUICE_ERR_SCHEMA_NOT_FOUND' })
  assert.deepEqual(await post('/test/event/1.0.0'), { statusCode: 201, code: undefined })
  assert.deepEqual(await post('/test/event/latest'), { statusCode: 201, code: undefined })

  const levels = lines.map((line) => (JSON.parse(line) as { level: number }).level)
  assert.deepEqual(levels.filter((level) => level >= 50), [], 'nothing at error for client mistakes')
  const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="error",reason="schema_not_published"\} 1/)
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="error",reason="schema_uri_refused"\} 1/)
  assert.match(metrics, /sluice_gateway_events_total\{stream="test.event",outcome="error",reason="schema_not_found"\} 1/)
  assert.doesNotMatch(metrics, /reason="(schema_fetch|schema_invalid|internal)"/)
  // Three 500s, all the client's: the SluiceGatewayServerErrors alert leaves them out.
  assert.match(metrics, /^sluice_gateway_client_caused_errors_total 3$/m)
})

test('a 500 with a server-side failure in it is not counted as client-caused', async (t) => {
  const producer = createCapturingProducer()
  producer.failWith = new SluiceError('SLUICE_ERR_KAFKA_PRODUCE', 'Kafka refused the records', { statusCode: 500 })
  const gateway = await createGateway(testGatewayConfig(), { cwd: fixturesDir, logger: testLogger(), producer })
  t.after(() => gateway.close())
  const res = await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent(), { $schema: '/nope/1.0.0', meta: { stream: 'test.event' } }] })
  assert.equal(res.statusCode, 500)
  const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body
  assert.match(metrics, /^sluice_gateway_client_caused_errors_total 0$/m)
})

test('an answer copies at most answer_max_string_length of each string of the request, and says where it cut', async (t) => {
  for (const limit of [2048, 300]) {
    const gateway = await createGateway(testGatewayConfig({ answer_max_string_length: limit }), { cwd: fixturesDir, logger: testLogger(), producer: createCapturingProducer() })
    t.after(() => gateway.close())
    const huge = `/${'s'.repeat(9 * 1024 * 1024)}`
    const res = await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: [testEvent({ $schema: huge }), testEvent({ test: 42, note: 'n'.repeat(100_000) })] })
    assert.equal(res.statusCode, 500)
    assert.ok(res.body.length < 40 * limit, `a ${res.body.length}-byte answer to a 9 MB $schema (limit ${limit})`)
    const body = res.json<{ invalid: Array<{ event: { note: string }, context: { errorsText: string } }>, error: Array<{ event: { $schema: string }, context: { message: string, code: string } }> }>()
    const [refused] = body.error
    assert.equal(refused?.context.code, 'SLUICE_ERR_SCHEMA_URI_REFUSED')
    assert.equal(refused?.event.$schema, `${huge.slice(0, limit)}…[${huge.length - limit} more characters]`)
    assert.match(refused?.context.message ?? '', new RegExp(`^Failed loading schema at /s+…\\[\\d+ more characters\\]$`))
    assert.equal(body.invalid[0]?.event.note, `${'n'.repeat(limit)}…[${100_000 - limit} more characters]`)
  }
})

test('every invalid event gets its error event, bounded: one over the Kafka message size, and one whose meta.uri the error schema refuses', async (t) => {
  const lines: string[] = []
  const producer = createCapturingProducer()
  const gateway = await createGateway(testGatewayConfig({ topic_prefix: 'eqiad.' }), { cwd: fixturesDir, logger: testLogger(lines), producer })
  t.after(() => gateway.close())
  const big = testEvent({ test: 42, big: 'b'.repeat(1_500_000) })
  const badUri = testEvent({ test: 42, meta: { stream: 'test.event', dt: '2019-01-01T00:00:00Z', uri: 'not a uri' } })
  const res = await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: [big, badUri] })
  assert.equal(res.statusCode, 400)
  const records = await producer.waitFor(2)
  const errorEvents = records.filter((r) => r.topic === 'eqiad.eventgate.error.validation').map((r) => ({ bytes: Buffer.byteLength(r.value), event: JSON.parse(String(r.value)) as { raw_event: string, meta: { uri?: string } } }))
  assert.equal(errorEvents.length, 2)
  const [first, second] = errorEvents
  assert.ok((first?.bytes ?? Infinity) <= 1_000_000, `an error event of ${first?.bytes} bytes`)
  assert.match(first?.event.raw_event ?? '', /…\[\d+ more characters\]$/)
  assert.match(first?.event.raw_event ?? '', /^\{"\$schema":"\/test\/event\/1\.0\.0".*"big":"b{1000}/, 'the raw event is kept up to the cut')
  assert.equal((JSON.parse(second?.event.raw_event ?? '{}') as { meta: { uri: string } }).meta.uri, 'not a uri', 'the raw event keeps it')
  assert.equal(second?.event.meta.uri, undefined, 'the refused meta.uri is left out')
  const metrics = async (): Promise<string> => (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body
  await waitFor('both error events counted', async () => /sluice_gateway_error_events_total\{result="produced"\} 2/.test(await metrics()))
  assert.doesNotMatch(await metrics(), /sluice_gateway_error_events_total\{result="failed"\}/)
  assert.deepEqual(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50), [], 'nothing logged at error')
})

test('a 5 MB $schema leaves every log line of its request bounded by log_max_string_length', async (t) => {
  const config = testGatewayConfig({ log_max_string_length: 256, log_level: 'debug' })
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const logger = createLogger({ level: config.log_level, name: 'test', maxStringLength: config.log_max_string_length }, sink)
  const gateway = await createGateway(config, { cwd: fixturesDir, logger, producer: createCapturingProducer() })
  t.after(() => gateway.close())
  const huge = `/${'s'.repeat(5 * 1024 * 1024)}/1.0.0`
  const res = await gateway.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'x-request-id': 'r'.repeat(8000) },
    payload: [testEvent({ $schema: huge }), testEvent({ meta: { stream: 'u'.repeat(100_000) } })]
  })
  assert.equal(res.statusCode, 500)
  const longest = Math.max(...lines.map((line) => line.length))
  assert.ok(lines.length >= 3, 'the failures were logged')
  assert.ok(longest < 10_000, `a log line of ${longest} characters`)
})
