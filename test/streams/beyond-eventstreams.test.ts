import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { request } from 'undici'
import { produceMessages } from '../helpers/kafka.js'
import { startRedis } from '../helpers/redis.js'
import { ndjsonLines, openStream } from '../helpers/sse.js'
import { waitFor } from '../helpers/wait.js'
import { startStreamsFixture, testEvent } from './fixture.js'
import type { StreamsFixture } from './fixture.js'

// The [IMP] scenarios of the EventStreams reference (§8, 26-40): what Sluice adds, each on by
// default or switchable, and each against the real broker.

async function live (fx: StreamsFixture, partitions: number): Promise<void> {
  await waitFor('the stream to be live', () => Object.keys(fx.service.reader.stats().tailLoops).length >= partitions && fx.service.reader.stats().catchUpReaders === 0)
}

type Entry = { topic: string, partition: number, offset?: number, timestamp?: number, seen?: number, cluster?: string }

test('26: heartbeat comments keep a quiet stream busy and are not events', async (t) => {
  const fx = await startStreamsFixture(t, { config: { heartbeat_interval_ms: 200 } })
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  t.after(() => c.close())
  await waitFor('two heartbeats', () => c.comments.filter((x) => x.trim() === 'heartbeat').length >= 2, 5000)
  assert.equal(c.events.length, 0)
  const json = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { accept: 'application/json' })
  t.after(() => json.close())
  await waitFor('NDJSON heartbeats are blank lines', () => json.raw.length >= 3, 5000)
  assert.match(json.raw, /^\n+$/)
})

test('27: a maximum lifetime ends the stream between events; reconnecting with the last id receives every event exactly once', async (t) => {
  const fx = await startStreamsFixture(t, { config: { max_connection_lifetime_ms: 600 } })
  const batches = 5
  const received: unknown[] = []
  // As an EventSource does: the last id seen in any session is sent on every reconnect.
  let lastId: string | undefined
  let c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  await live(fx, 2)
  for (let batch = 0; batch < batches; batch++) {
    // Events land in both datacenters' topics while the client is connected, and while it is not.
    await produceMessages(fx.topics.eqiadA, Array.from({ length: 40 }, (_, i) => ({ value: testEvent({ n: `e${batch}-${i}` }) })))
    await produceMessages(fx.topics.codfwA, Array.from({ length: 20 }, (_, i) => ({ value: testEvent({ n: `c${batch}-${i}` }) })))
    await c.ended
    assert.ok(c.raw.endsWith('\n\n'), 'the stream ends after a whole event')
    received.push(...c.messages().map((m) => m.n))
    lastId = c.lastId ?? lastId
    c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, lastId === undefined ? {} : { 'last-event-id': lastId })
  }
  await c.waitForMessages(batches * 60 - received.length)
  c.close()
  received.push(...c.messages().map((m) => m.n))
  assert.equal(new Set(received).size, received.length, 'no event twice')
  assert.equal(received.length, batches * 60, 'no event lost')
  assert.match(await fx.metrics(), /sluice_streams_disconnects_total\{reason="lifetime"\} [5-9]/)
})

test('28: partitions that delivered nothing carry a timestamp; a reconnect on the other datacenter reads what arrived there meanwhile', async (t) => {
  const fx = await startStreamsFixture(t)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  await live(fx, 2)
  const connectedAt = Date.now()
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 'e1' }) }])
  await c.waitForMessages(1)
  c.close()
  const id = JSON.parse(c.lastId!) as Entry[]
  const codfw = id.find((e) => e.topic === fx.topics.codfwA)!
  assert.equal(typeof codfw.timestamp, 'number')
  assert.ok(Math.abs(codfw.timestamp! - connectedAt) < 5000, 'the connection time')
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'c1' }) }])
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 'e2' }) }])
  // The same id on the other datacenter's cluster: its offsets are not positions there.
  const elsewhere = JSON.stringify(id.map((e) => ({ ...e, cluster: 'the-other-cluster' })))
  for (const lastEventId of [c.lastId!, elsewhere]) {
    const again = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': lastEventId })
    await again.waitForMessages(2)
    again.close()
    assert.deepEqual(again.messages().map((m) => m.n).sort(), ['c1', 'e2'], lastEventId)
  }
})

test('29: a timestamp resume neither skips nor repeats events sharing a millisecond; EventStreams\' timestamp ids still work', async (t) => {
  const fx = await startStreamsFixture(t)
  const ts = Date.now() - 10_000
  await produceMessages(fx.topics.eqiadB, [{ value: testEvent({ n: 1 }), timestamp: ts }, { value: testEvent({ n: 2 }), timestamp: ts }])
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=0`)
  await c.waitForMessages(2)
  c.close()
  const [entry] = JSON.parse(c.lastId!) as Entry[]
  assert.equal(entry!.timestamp, ts)
  assert.equal(entry!.seen, 2)
  await produceMessages(fx.topics.eqiadB, [{ value: testEvent({ n: 3 }), timestamp: ts }, { value: testEvent({ n: 4 }), timestamp: ts + 5 }])
  const byTime = JSON.stringify([{ topic: entry!.topic, partition: 0, timestamp: entry!.timestamp, seen: entry!.seen }])
  const resumed = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { 'last-event-id': byTime })
  await resumed.waitForMessages(2)
  const legacy = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { 'last-event-id': JSON.stringify([{ topic: entry!.topic, partition: 0, timestamp: ts + 1 }]) })
  await legacy.waitForMessages(1)
  t.after(() => { resumed.close(); legacy.close() })
  assert.deepEqual(resumed.messages().map((m) => m.n), [3, 4])
  assert.deepEqual(legacy.messages().map((m) => m.n), [4])
})

test('30: an entry with both offset and timestamp is never dropped: the offset on its own cluster, the timestamp elsewhere', async (t) => {
  const fx = await startStreamsFixture(t)
  const base = Date.now() - 60_000
  await produceMessages(fx.topics.eqiadA, Array.from({ length: 10 }, (_, i) => ({ value: testEvent({ n: i }), timestamp: base + i * 100 })))
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'c' }), timestamp: base }])
  const probe = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  probe.close()
  const cluster = (JSON.parse((await (async () => { const x = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=0`); await x.waitForMessages(1); x.close(); return x })()).lastId!) as Entry[])[0]!.cluster!
  const id = (clusterTag: string): string => JSON.stringify([
    { topic: fx.topics.eqiadA, partition: 0, offset: 8, timestamp: base + 500, cluster: clusterTag },
    { topic: fx.topics.codfwA, partition: 0, timestamp: base }
  ])
  const here = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': id(cluster) })
  const there = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': id('another') })
  t.after(() => { here.close(); there.close() })
  await here.waitForMessages(3)
  await there.waitForMessages(6)
  assert.deepEqual(here.messages().map((m) => m.n).sort(), [8, 9, 'c'].sort())
  assert.deepEqual(there.messages().map((m) => m.n).sort(), [5, 6, 7, 8, 9, 'c'].sort())
})

test('31: a Last-Event-ID naming only some topics still reads the others, from the connection time', async (t) => {
  const fx = await startStreamsFixture(t)
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'before' }) }])
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`, { 'last-event-id': JSON.stringify([{ topic: fx.topics.eqiadA, partition: 0, offset: 0 }]) })
  t.after(() => c.close())
  await live(fx, 2)
  await produceMessages(fx.topics.codfwA, [{ value: testEvent({ n: 'after' }) }])
  await c.waitForMessages(1)
  assert.deepEqual(c.messages().map((m) => m.n), ['after'])
  assert.deepEqual((JSON.parse(c.lastId!) as Entry[]).map((e) => e.topic), [fx.topics.eqiadA, fx.topics.codfwA])
})

test('32, 33: filters select by dotted paths (any-of values, all-of keys, safe regexes), canaries can be left out, and what is left out still moves the id', async (t) => {
  const fx = await startStreamsFixture(t)
  const url = (query: string): string => `${fx.url}/v2/stream/${fx.names.b}?${query}`
  const filtered = await openStream(url('filter[meta.domain]=en.wikipedia.org&filter[type]=edit,log'))
  const byRegex = await openStream(url(`filter[meta.domain]=${encodeURIComponent('/^(en|de)\\.wikipedia\\.org$/')}`))
  const noCanary = await openStream(url('canary=exclude'))
  t.after(() => { filtered.close(); byRegex.close(); noCanary.close() })
  await live(fx, 1)
  await produceMessages(fx.topics.eqiadB, [
    { value: testEvent({ n: 1, type: 'edit' }, { domain: 'en.wikipedia.org' }) },
    { value: testEvent({ n: 2, type: 'new' }, { domain: 'en.wikipedia.org' }) },
    { value: testEvent({ n: 3, type: 'log' }, { domain: 'de.wikipedia.org' }) },
    { value: testEvent({ n: 4, type: 'log' }, { domain: 'canary' }) },
    { value: testEvent({ n: 5, type: 'log' }, { domain: 'en.wikipedia.org' }) }
  ])
  await filtered.waitForMessages(2)
  await byRegex.waitForMessages(4)
  await noCanary.waitForMessages(4)
  assert.deepEqual(filtered.messages().map((m) => m.n), [1, 5])
  assert.deepEqual(byRegex.messages().map((m) => m.n), [1, 2, 3, 5])
  assert.deepEqual(noCanary.messages().map((m) => m.n), [1, 2, 3, 5])
  assert.deepEqual(filtered.events.map((e) => (JSON.parse(e.id!) as Entry[])[0]!.offset), [1, 5], 'the second id is past the events left out')

  for (const bad of ['filter[meta.domain]=' + encodeURIComponent('/(a+)+$/'), 'filter[x]=' + encodeURIComponent('/(ab)*c/'), 'filter[__proto__.x]=1', 'filter[a]=', 'filterx=1', 'canary=maybe']) {
    const res = await request(url(bad))
    assert.equal(res.statusCode, 400, bad)
    const body = await res.body.json() as Record<string, unknown>
    assert.equal(body.code, 'SLUICE_ERR_STREAMS_INVALID_FILTER', bad)
  }
})

test('34: with Redis the per-IP limit counts every replica, each connection once, with Retry-After; without Redis each replica counts its own', async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const config = { client_ip_connection_limit: 2, client_ip_connection_limit_overrides: { '203.0.113.9': 3 }, redis: { url: redis.url, key_prefix: `t${Date.now()}` } }
  const one = await startStreamsFixture(t, { config })
  const two = await startStreamsFixture(t, { config })
  const ip = { 'x-client-ip': '198.51.100.20' }
  const a = await openStream(`${one.url}/v2/stream/${one.names.b}`, ip)
  const b = await openStream(`${two.url}/v2/stream/${two.names.b}`, ip)
  t.after(() => { a.close(); b.close() })
  assert.equal(a.status, 200)
  assert.equal(b.status, 200)
  for (const fx of [one, two]) {
    const third = await request(`${fx.url}/v2/stream/${fx.names.b}`, { headers: ip })
    assert.equal(third.statusCode, 429)
    assert.equal(third.headers['retry-after'], '5')
    await third.body.dump()
  }
  const shared = { 'x-client-ip': '203.0.113.9' }
  const allowed = await Promise.all([openStream(`${one.url}/v2/stream/${one.names.b}`, shared), openStream(`${two.url}/v2/stream/${two.names.b}`, shared), openStream(`${one.url}/v2/stream/${one.names.b}`, shared)])
  t.after(() => { for (const s of allowed) s.close() })
  assert.deepEqual(allowed.map((s) => s.status), [200, 200, 200])
  a.close()
  await waitFor('a slot frees on the other replica', async () => {
    const res = await openStream(`${two.url}/v2/stream/${two.names.b}`, ip)
    res.close()
    return res.status === 200
  }, 10000)
  await redis.stop()
  const fallback = await openStream(`${one.url}/v2/stream/${one.names.b}`, { 'x-client-ip': '198.51.100.30' })
  fallback.close()
  assert.equal(fallback.status, 200, 'Redis down: the replica counts its own connections')
  assert.match(await one.metrics(), /sluice_streams_ip_limit_store_errors_total [1-9]/)
})

test('35: a stream with a configured topic missing from Kafka serves the topics that exist', async (t) => {
  const fx = await startStreamsFixture(t, { skipTopics: ['codfwA'] })
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  t.after(() => c.close())
  assert.equal(c.status, 200)
  await live(fx, 1)
  await produceMessages(fx.topics.eqiadA, [{ value: testEvent({ n: 1 }) }])
  await c.waitForMessages(1)
  assert.deepEqual((JSON.parse(c.lastId!) as Entry[]).map((e) => e.topic), [fx.topics.eqiadA])
})

test('36: ?order=time merges partitions and datacenters by timestamp', async (t) => {
  const fx = await startStreamsFixture(t, { config: { order_window_ms: 300 } })
  const base = Date.now() - 60_000
  await produceMessages(fx.topics.eqiadA, [1, 3, 5, 7].map((n) => ({ value: testEvent({ n }), timestamp: base + n })))
  await produceMessages(fx.topics.codfwA, [2, 4, 6, 8].map((n) => ({ value: testEvent({ n }), timestamp: base + n })))
  const ordered = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=${base}&order=time`)
  const plain = await openStream(`${fx.url}/v2/stream/${fx.names.a}?since=${base}`)
  t.after(() => { ordered.close(); plain.close() })
  await ordered.waitForMessages(8)
  await plain.waitForMessages(8)
  assert.deepEqual(ordered.messages().map((m) => m.n), [1, 2, 3, 4, 5, 6, 7, 8])
  assert.notDeepEqual(plain.messages().map((m) => m.n), [1, 2, 3, 4, 5, 6, 7, 8], 'without order=time partitions are not merged')
})

test('37: the Kafka client id and groups never come from client headers', async (t) => {
  const fx = await startStreamsFixture(t)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { 'x-request-id': '../../evil id' })
  c.close()
  assert.equal(c.status, 200)
  const source = (await import('node:fs')).readFileSync(new URL('../../src/streams/index.ts', import.meta.url), 'utf8')
  assert.match(source, /clientId: config\.kafka\.client_id/)
})

test('38: NDJSON reports a mid-stream error as {"error": ...}, and ndjson_ids=true makes each line resumable by its _id', async (t) => {
  const fx = await startStreamsFixture(t)
  await produceMessages(fx.topics.eqiadB, [1, 2, 3].map((n) => ({ value: testEvent({ n }) })))
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=0&ndjson_ids=true`, { accept: 'application/json' })
  await waitFor('three lines', () => ndjsonLines(c.raw).length === 3)
  c.close()
  const second = ndjsonLines(c.raw)[1]!
  const resumed = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { accept: 'application/json', 'last-event-id': JSON.stringify(second._id) })
  t.after(() => resumed.close())
  await waitFor('the rest', () => ndjsonLines(resumed.raw).length === 1)
  assert.equal(ndjsonLines(resumed.raw)[0]!.n, 3)
  const { deleteTopic } = await import('../helpers/kafka.js')
  await deleteTopic(fx.topics.eqiadB)
  await resumed.ended
  const last = ndjsonLines(resumed.raw).at(-1)!
  assert.equal((last.error as Record<string, unknown>).code, 'SLUICE_ERR_KAFKA_UNKNOWN_TOPIC')
})

test('39, 40: the spec types timestamp as an integer and documents 400, 404, 429, 500; CORS preflight allows Last-Event-ID', async (t) => {
  const fx = await startStreamsFixture(t)
  const spec = await (await request(`${fx.url}/?spec`)).body.json() as { paths: Record<string, { get: { responses: Record<string, unknown> } }>, components: { schemas: { IdEntry: { properties: { timestamp: { type: string } } } } } }
  assert.equal(spec.components.schemas.IdEntry.properties.timestamp.type, 'integer')
  for (const status of ['400', '404', '429', '500']) assert.ok(status in spec.paths['/v2/stream/{streams}']!.get.responses, status)
  const preflight = await request(`${fx.url}/v2/stream/${fx.names.b}`, { method: 'OPTIONS', headers: { origin: 'https://tool.example', 'access-control-request-headers': 'last-event-id' } })
  assert.equal(preflight.statusCode, 204)
  assert.match(String(preflight.headers['access-control-allow-headers']), /last-event-id/)
  const c = await openStream(`${fx.url}/v2/stream/${fx.names.b}`, { origin: 'https://tool.example' })
  c.close()
  assert.equal(c.headers['access-control-allow-origin'], '*')
})

test('a client that stops reading live events is told once and disconnected past max_client_buffer_bytes; others are not slowed', async (t) => {
  const fx = await startStreamsFixture(t, { config: { max_client_buffer_bytes: 4 * 1024 * 1024 } })
  let raw = ''
  const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(`${fx.url}/v2/stream/${fx.names.b}`)
    req.once('response', resolve).once('error', reject).end()
    t.after(() => req.destroy())
  })
  stalled.pause()
  const healthy = await openStream(`${fx.url}/v2/stream/${fx.names.b}`)
  t.after(() => healthy.close())
  await live(fx, 1)
  const big = 'x'.repeat(10_000)
  for (let i = 0; i < 60; i++) await produceMessages(fx.topics.eqiadB, Array.from({ length: 50 }, (_, j) => ({ value: testEvent({ n: i * 50 + j, big }) })))
  await waitFor('the stalled client is dropped', async () => /sluice_streams_disconnects_total\{reason="slow_client"\} 1/.test(await fx.metrics()), 30000)
  stalled.setEncoding('utf8')
  stalled.on('data', (chunk: string) => { raw += chunk })
  stalled.resume()
  await new Promise<void>((resolve) => { stalled.once('close', resolve) })
  const tail = raw.slice(-1000)
  assert.ok(/event: error\nid: .*\ndata: .*SLUICE_ERR_STREAMS_CLIENT_TOO_SLOW/.test(tail), `the stream ends with one error event: …${tail.slice(-300)}`)
  assert.equal(raw.split('event: error').length, 2)
  await healthy.waitForMessages(3000, 30000)
  assert.match(await fx.metrics(), /sluice_streams_disconnects_total\{reason="slow_client"\} 1\n/, 'only the stalled client')
})
