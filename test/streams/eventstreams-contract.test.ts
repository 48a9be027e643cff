import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { createTopic, deleteTopic, listGroupIds, produceMessages } from '../helpers/kafka.js'
import { ndjsonLines, openStream } from '../helpers/sse.js'
import { waitFor } from '../helpers/wait.js'
import { startStreamsFixture, testEvent } from './fixture.js'

// The [ES] scenarios of the EventStreams reference (§8): what an EventStreams client relies on.

/** Waits until the service's shared tail reads every partition of the request (the client is live). */
async function live (fx: { service: { reader: { stats: () => { tailLoops: Record<string, number> } } } }, partitions: number): Promise<void> {
  await waitFor('the stream to be live', () => Object.keys(fx.service.reader.stats().tailLoops).length >= partitions)
}

test('1-3: content types, no content-length or encoding, :ok first; NDJSON is one \\n then one JSON per line', async (t) => {
  const fx = await startStreamsFixture(t)
  const bare = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  t.after(() => bare.close())
  assert.equal(bare.status, 200)
  assert.equal(bare.headers['content-type'], 'text/event-stream')
  assert.equal(bare.headers['cache-control'], 'no-cache')
  assert.equal(bare.headers['content-length'], undefined)
  assert.equal(bare.headers['content-encoding'], undefined)
  await waitFor(':ok', () => bare.raw.length > 0)
  assert.ok(bare.raw.startsWith(':ok\n\n'))
  for (const accept of ['text/event-stream', '*/*', 'text/event-stream, application/json']) {
    const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { accept })
    c.close()
    assert.equal(c.headers['content-type'], 'text/event-stream; charset=utf-8', accept)
  }
  const json = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { accept: 'application/json' })
  t.after(() => json.close())
  assert.equal(json.headers['content-type'], 'application/json; charset=utf-8')
  await live(fx, 2)
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 1 }) }, { value: testEvent({ n: 2 }) }])
  await waitFor('two lines', () => json.raw.split('\n').length >= 4)
  assert.ok(json.raw.startsWith('\n'))
  assert.doesNotMatch(json.raw, /^(event|id):/m)
  assert.deepEqual(ndjsonLines(json.raw).map((e) => e.n), [1, 2])
})

test('4-6: framing, meta from Kafka (key only when keyed), and the first id names every partition in assignment order', async (t) => {
  const fx = await startStreamsFixture(t, { config: { eventstreams_compatible: true } })
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  t.after(() => c.close())
  await live(fx, 2)
  const ts = Date.now() - 1000
  await produceMessages(fx.topics.eqiadA, [
    { value: testEvent({ n: 1 }, { uri: 'https://x/1' }), timestamp: ts },
    { value: testEvent({ n: 2 }), key: '{"page_id":7}', timestamp: ts + 1 }
  ])
  await c.waitForMessages(2)
  assert.match(c.raw, /\n\nevent: message\nid: \[.*\]\ndata: \{.*\}\n\n/)
  assert.doesNotMatch(c.raw, /^retry:/m)
  const [first, second] = c.messages()
  const meta1 = first!.meta as Record<string, unknown>
  assert.equal(meta1.topic, fx.topics.eqiadA)
  assert.equal(meta1.partition, 0)
  assert.equal(meta1.offset, 0)
  assert.equal(meta1.uri, 'https://x/1')
  assert.equal('key' in meta1, false)
  assert.deepEqual((second!.meta as Record<string, unknown>).key, { page_id: 7 })
  assert.deepEqual(JSON.parse(c.events[0]!.id!), [
    { topic: fx.topics.eqiadA, partition: 0, timestamp: ts + 1 },
    { topic: fx.topics.codfwA, partition: 0, offset: -1 }
  ])
})

test('7, 8: an alias reads its stream; a,b reads the union; a,aa each topic once; /?spec lists names and aliases', async (t) => {
  const fx = await startStreamsFixture(t)
  const spec = await (await request(`${fx.url}/?spec`)).body.json() as { paths: Record<string, { get: { parameters: Array<{ schema: { items: { enum: string[] } } }> } }> }
  const names = spec.paths['/v2/stream/{streams}']!.get.parameters[0]!.schema.items.enum
  assert.ok(names.includes(fx.names.a) && names.includes(fx.names.aa) && names.includes(fx.names.b))
  assert.ok(spec.paths[`/v2/stream/${fx.names.aa}`] !== undefined)
  assert.ok(!names.some((n) => n.startsWith('/')), 'regex streams are not served')

  const both = await openStream(`${fx.url}/v2/stream/${fx.names.a},${fx.names.b}`, { accept: 'application/json' })
  const twice = await openStream(`${fx.url}/v2/stream/${fx.names.a},${fx.names.aa}`)
  t.after(() => { both.close(); twice.close() })
  await live(fx, 3)
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 'ea' }) }])
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'ca' }) }])
  await produceMessages(fx.topics.eqiadB, [{ value: testEvent({ n: 'eb' }) }])
  await waitFor('three lines', () => ndjsonLines(both.raw).length === 3)
  assert.deepEqual(ndjsonLines(both.raw).map((e) => e.n).sort(), ['ca', 'ea', 'eb'])
  await twice.waitForMessages(2)
  assert.deepEqual(JSON.parse(twice.lastId!).map((e: { topic: string }) => e.topic), [fx.topics.eqiadA, fx.topics.codfwA])
  assert.deepEqual(twice.messages().map((e) => e.n).sort(), ['ca', 'ea'])
})

test('9, 10: an unknown stream and an unparsable since answer 400 problems before any Kafka work or metric', async (t) => {
  const fx = await startStreamsFixture(t)
  const res = await request(`${fx.url}/v2/stream/${fx.names.a},nope`)
  assert.equal(res.statusCode, 400)
  const body = await res.body.json() as Record<string, unknown>
  assert.deepEqual({ ...body, uri: undefined }, { status: 400, type: 'not_found', title: 'Stream Not Found', detail: 'Invalid streams: nope', method: 'GET', uri: undefined, code: 'SLUICE_ERR_STREAMS_NOT_FOUND' })
  assert.equal(body.uri, `/v2/stream/${fx.names.a},nope`)
  assert.deepEqual(fx.service.reader.stats().followers, 0)
  assert.doesNotMatch(await fx.metrics(), /eventstreams_client_connections_total\{/)
  const since = await request(`${fx.url}/v2/stream/${fx.names.a}?since=garbage`)
  assert.equal(since.statusCode, 400)
  const sinceBody = await since.body.json() as Record<string, unknown>
  assert.equal(sinceBody.type, 'invalid_timestamp')
  assert.equal(sinceBody.title, 'Invalid timestamp')
  assert.match(String(sinceBody.detail), /garbage/)
})

test('11, 12: since as ms or a date starts at the first record at or after it; later than all is the end; earlier than all is the start', async (t) => {
  const fx = await startStreamsFixture(t)
  const base = 1528934400000
  await produceMessages(fx.topics.eqiadA, [
    { value: testEvent({ n: 0 }), timestamp: base - 10 }, { value: testEvent({ n: 1 }), timestamp: base }, { value: testEvent({ n: 2 }), timestamp: base + 10 }
  ])
  for (const since of [String(base), '2018-06-14T00:00:00Z']) {
    const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=${encodeURIComponent(since)}`)
    await c.waitForMessages(2)
    c.close()
    assert.deepEqual(c.messages().map((e) => e.n), [1, 2], since)
  }
  const early = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=0`)
  await early.waitForMessages(3)
  early.close()
  const late = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=${Date.now() + 3600_000}`)
  t.after(() => late.close())
  assert.equal(late.status, 200)
  await live(fx, 2)
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 3 }) }])
  await late.waitForMessages(1)
  assert.deepEqual(late.messages().map((e) => e.n), [3])
})

test('13-15 (EventStreams-compatible): a Last-Event-ID entry reads only what it names, beats since, and an offset starts exactly there', async (t) => {
  const fx = await startStreamsFixture(t, { config: { eventstreams_compatible: true } })
  const base = Date.now() - 60_000
  await produceMessages(fx.topics.eqiadA, Array.from({ length: 50 }, (_, i) => ({ value: testEvent({ n: i }), timestamp: base + i })))
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'codfw' }), timestamp: base }])
  const byTime = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=0`, { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0, timestamp: base + 45 }]) })
  await byTime.waitForMessages(5)
  const byOffset = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0, offset: 42 }]) })
  await byOffset.waitForMessages(8)
  const past = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0, offset: 4200 }]) })
  t.after(() => { byTime.close(); byOffset.close(); past.close() })
  await waitFor('the past-the-end reader joined the tail', () => fx.service.reader.stats().catchUpReaders === 0)
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 'new' }) }])
  await past.waitForMessages(1)
  await byTime.waitForMessages(6)
  assert.deepEqual(byTime.messages().map((e) => e.n), [45, 46, 47, 48, 49, 'new'], 'codfw.a is not read and since is ignored')
  assert.deepEqual(byOffset.messages().slice(0, 8).map((e) => e.n), [42, 43, 44, 45, 46, 47, 48, 49])
  assert.deepEqual(past.messages().map((e) => e.n), ['new'])
})

test('16: a Last-Event-ID that is not JSON, empty, or the wrong shape answers 400 InvalidAssignmentError', async (t) => {
  const fx = await startStreamsFixture(t)
  const bad = await request(`${fx.url}/v2/stream/${fx.names.a}`, { headers: { 'last-event-id': 'not json' } })
  assert.equal(bad.statusCode, 400)
  const body = await bad.body.json() as Record<string, unknown>
  assert.equal(body.name, 'InvalidAssignmentError')
  assert.equal(body.origin, 'KafkaSSE')
  assert.equal(body.statusCode, 400)
  assert.equal(body.last_event_id, 'not json')
  assert.equal(body.stack, undefined)
  for (const value of ['[]', '{}', JSON.stringify([{ topic: fx.topics.eqiadA, partition: '0', offset: 1 }]), JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0 }])]) {
    const res = await request(`${fx.url}/v2/stream/${fx.names.a}`, { headers: { 'last-event-id': value } })
    assert.equal(res.statusCode, 400, value)
    assert.equal((await res.body.json() as Record<string, unknown>).name, 'InvalidAssignmentError', value)
  }
})

test('17, 18: an id naming another stream\'s topic is 404; a stream with no topic in Kafka is 500; a missing topic is 404 when compatible', async (t) => {
  const fx = await startStreamsFixture(t, { config: { eventstreams_compatible: true }, skipTopics: ['codfwA'], extraStreams: { nothing: { schema_title: 'x', topics: ['no-such-topic-anywhere'] } } })
  const foreign = await request(`${fx.url}/v2/stream/${fx.names.b}`, { headers: { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0, offset: 0 }]) } })
  assert.equal(foreign.statusCode, 404)
  const body = await foreign.body.json() as Record<string, unknown>
  assert.equal(body.name, 'TopicNotAvailableError')
  assert.equal('availableTopics' in body, false, 'the topic list does not leak')
  const none = await request(`${fx.url}/v2/stream/nothing`)
  assert.equal(none.statusCode, 500)
  assert.equal((await none.body.json() as Record<string, unknown>).name, 'ConfigurationError')
  const partial = await request(`${fx.url}/v2/stream/${fx.names.a}`)
  assert.equal(partial.statusCode, 404)
  await partial.body.dump()
})

test('19: with a per-IP limit, no X-Client-IP is 400, a third stream from one IP is 429 with Retry-After, and a closed one frees its slot', async (t) => {
  const fx = await startStreamsFixture(t, { config: { client_ip_connection_limit: 2 } })
  const missing = await request(`${fx.url}/v2/stream/${fx.names.a}`)
  assert.equal(missing.statusCode, 400)
  assert.equal((await missing.body.json() as Record<string, unknown>).title, 'Missing Required X-Client-IP Header')
  const ip = { 'x-client-ip': '198.51.100.7' }
  const one = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, ip)
  const two = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, ip)
  t.after(() => { one.close(); two.close() })
  const third = await request(`${fx.url}/v2/stream/${fx.names.a}`, { headers: ip })
  assert.equal(third.statusCode, 429)
  assert.equal(third.headers['retry-after'], '5')
  assert.equal((await third.body.json() as Record<string, unknown>).type, 'too_many_requests')
  const other = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'x-client-ip': '198.51.100.8' })
  other.close()
  assert.equal(other.status, 200)
  one.close()
  await waitFor('the slot is freed', () => fx.service.openStreams <= 2)
  await waitFor('a new stream from the IP is taken', async () => {
    const again = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, ip)
    again.close()
    return again.status === 200
  })
})

test('20: a record that is not JSON is skipped without ending the stream, and does not move the id', async (t) => {
  const fx = await startStreamsFixture(t)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  t.after(() => c.close())
  await live(fx, 1)
  await produceMessages(fx.topics.eqiadB, [{ value: testEvent({ n: 1 }) }, { value: 'not json {' }, { value: testEvent({ n: 2 }) }])
  await c.waitForMessages(2)
  assert.deepEqual(c.messages().map((e) => e.n), [1, 2])
  const ids = c.events.map((e) => JSON.parse(e.id!)[0] as { offset: number })
  assert.deepEqual(ids.map((e) => e.offset), [1, 3])
  const skipped = new RegExp(`sluice_streams_skipped_records_total\\{topic="${fx.topics.eqiadB.replace(/\./g, '\\.')}"\\} 1`)
  await waitFor('the skipped record is counted', async () => skipped.test(await fx.metrics()))
})

test('21: a failure after the stream started is one event: error (no stack) and the end of the response', async (t) => {
  const fx = await startStreamsFixture(t)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  t.after(() => c.close())
  await live(fx, 1)
  await deleteTopic(fx.topics.eqiadB)
  await c.ended
  const errors = c.events.filter((e) => e.event === 'error')
  assert.equal(errors.length, 1)
  const data = JSON.parse(errors[0]!.data) as Record<string, unknown>
  assert.equal(data.code, 'SLUICE_ERR_KAFKA_UNKNOWN_TOPIC')
  assert.equal(data.stack, undefined)
})

test('22: no consumer group is created or committed, and two clients keep their own positions', async (t) => {
  const fx = await startStreamsFixture(t)
  await produceMessages(fx.topics.eqiadB, Array.from({ length: 10 }, (_, i) => ({ value: testEvent({ n: i }) })))
  const all = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=0`, { 'x-request-id': 'client-chosen-id' })
  const tail = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadB, partition: 0, offset: 7 }]) })
  t.after(() => { all.close(); tail.close() })
  await all.waitForMessages(10)
  await tail.waitForMessages(3)
  assert.deepEqual(tail.messages().map((e) => e.n), [7, 8, 9])
  const groups = await listGroupIds()
  assert.deepEqual(groups.filter((g) => /stream|client-chosen-id/.test(g)), [])
})

test('23: connected_clients per stream goes up and back down; connections_total is keyed by the sorted list', async (t) => {
  const fx = await startStreamsFixture(t)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b},${fx.names.a}`)
  const gauge = (stream: string, text: string): number => Number(new RegExp(`eventstreams_connected_clients\\{stream="${stream}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
  let text = await fx.metrics()
  assert.equal(gauge(fx.names.a, text), 1)
  assert.equal(gauge(fx.names.b, text), 1)
  assert.match(text, new RegExp(`eventstreams_client_connections_total\\{streams="${fx.names.a},${fx.names.b}"\\} 1`))
  c.close()
  await waitFor('the disconnect is counted', async () => gauge(fx.names.a, await fx.metrics()) === 0)
  text = await fx.metrics()
  assert.equal(gauge(fx.names.b, text), 0)
  assert.match(text, /sluice_streams_disconnects_total\{reason="client"\} 1/)
})

test('24: / redirects to the UI (or the docs), /rc to the docs, /_info, /robots.txt, and CORS on every response', async (t) => {
  const fx = await startStreamsFixture(t)
  const root = await request(`${fx.url}/`)
  assert.equal(root.statusCode, 303)
  assert.equal(root.headers.location, '/v2/ui')
  const rc = await request(`${fx.url}/rc`)
  assert.equal(rc.statusCode, 301)
  assert.equal(rc.headers.location, '/?doc')
  const info = await (await request(`${fx.url}/_info`)).body.json() as Record<string, unknown>
  assert.deepEqual(Object.keys(info).sort(), ['description', 'home', 'name', 'version'].filter((k) => k in info).sort())
  assert.equal(info.name, 'sluice')
  const robots = await request(`${fx.url}/robots.txt`)
  assert.match(await robots.body.text(), /Disallow: \//)
  for (const res of [root, rc, robots]) assert.equal(res.headers['access-control-allow-origin'], '*')
  const noUi = await startStreamsFixture(t, { config: { stream_ui_enabled: false } })
  const docs = await request(`${noUi.url}/`)
  assert.equal(docs.headers.location, '/?doc')
  assert.equal((await request(`${noUi.url}/v2/ui`)).statusCode, 404)
})

test('25: pages configured for redaction are streamed without who acted', async (t) => {
  const fx = await startStreamsFixture(t, { config: { mediawiki_redacted_pages: { 'ru.wikipedia.org': ['Foo bar'] } } })
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  t.after(() => c.close())
  await live(fx, 1)
  await produceMessages(fx.topics.eqiadB, [
    { value: testEvent({ title: 'foo_Bar', user: 'Someone' }, { stream: 'mediawiki.recentchange', domain: 'ru.wikipedia.org' }) },
    { value: testEvent({ page: { page_title: 'Foo_bar' }, performer: { user_text: 'X' }, revision: { editor: { user_text: 'X' } } }, { stream: 'mediawiki.page_change.v1', domain: 'ru.wikipedia.org' }) },
    { value: testEvent({ title: 'Other', user: 'Someone' }, { stream: 'mediawiki.recentchange', domain: 'ru.wikipedia.org' }) }
  ])
  await c.waitForMessages(3)
  const [rc, pageChange, other] = c.messages()
  assert.equal('user' in rc!, false)
  assert.deepEqual(pageChange!.performer, {})
  assert.deepEqual(pageChange!.revision, {})
  assert.equal(other!.user, 'Someone')
})

test('a topic created after the service started is served once it exists', async (t) => {
  const fx = await startStreamsFixture(t, { skipTopics: ['eqiadB'] })
  const before = await request(`${fx.url}/v2/stream/${fx.names.b}`)
  assert.equal(before.statusCode, 500)
  await before.body.dump()
  await createTopic(fx.topics.eqiadB, 1)
  const after = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  after.close()
  assert.equal(after.status, 200)
})
