import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { createGateway } from '../../../src/gateway/index.js'
import { fetchTopicOffsets } from '../../../src/kafka/index.js'
import { readMessages, requireBrokers, testTmpDir } from '../../helpers/kafka.js'
import { waitFor } from '../../helpers/wait.js'
import type { ReadMessage } from '../../helpers/kafka.js'
import { buildTestGateway, createCapturingProducer, fixturesDir, listen, testGatewayConfig, testLogger } from '../../helpers/gateway.js'

// EventLogging's beacon, end to end: the real gateway on a port, requests written exactly as
// EventLogging's JavaScript client writes them, the test run's broker, records read back.
// Legacy topics are not prefixed (eventlogging_<Schema>), so each test reads what arrived after
// the offsets it saw before its request.

const projectSchemas = fileURLToPath(new URL('../../../schemas/', import.meta.url))
const receivedAt = new Date('2026-05-06T07:08:09.123Z')

const streamConfig = `
eventlogging_CpuBenchmark:
  schema_title: analytics/legacy/cpubenchmark
  topic_prefixes: null
eventlogging_BeaconTest:
  schema_title: analytics/legacy/beacontest
  topic_prefixes: null
eventgate.error.validation:
  schema_title: error
`

interface Running { url: string, prefix: string }

async function startGateway (t: TestContext): Promise<Running> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-beacon-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'streams.yaml'), streamConfig)
  const prefix = `bc${randomUUID().slice(0, 8)}.`
  const config = testGatewayConfig({
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    kafka: { brokers: requireBrokers() },
    // The project's repository (the real analytics/legacy/cpubenchmark), then the test fixtures.
    schema_base_uris: [projectSchemas, `${fixturesDir}schemas/`],
    stream_config_uri: join(dir, 'streams.yaml'),
    // As MediaWiki's $wgEventLoggingSchemas; CpuBenchmark is left to the latest version.
    beacon: { schemas: { BeaconTest: '/analytics/legacy/beacontest/1.0.0' } }
  })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger(), now: () => receivedAt })
  t.after(() => gateway.close())
  return { url: await listen(gateway), prefix }
}

/** EventLogging's client: `baseUrl + '?' + encodeURIComponent(JSON.stringify(capsule)) + ';'`. */
function beaconUrl (url: string, capsule: unknown): string {
  return `${url}/beacon/event?${encodeURIComponent(JSON.stringify(capsule))};`
}

async function beacon (target: string, options: { method?: 'GET' | 'POST', headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, body: string }> {
  const res = await request(target, { method: options.method ?? 'GET', headers: options.headers, body: options.body })
  return { status: res.statusCode, body: await res.body.text() }
}

async function endOffset (topic: string): Promise<number> {
  try {
    return (await fetchTopicOffsets(requireBrokers(), topic)).reduce((sum, p) => sum + Number(p.high), 0)
  } catch {
    return 0 // not created yet
  }
}

/** The records of `topic` after the first `before`. */
async function readAfter (topic: string, before: number, count = 1): Promise<ReadMessage[]> {
  return (await readMessages(topic, before + count, { timeoutMs: 20000 })).slice(before)
}

async function beaconMetrics (url: string): Promise<string> {
  const res = await request(`${url}/metrics`)
  return (await res.body.text()).split('\n').filter((l) => l.startsWith('sluice_gateway_beacons_total')).join('\n')
}

test('an old client\'s GET /beacon/event becomes an analytics/legacy event on eventlogging_<Schema>, answered 204', async (t) => {
  const { url } = await startGateway(t)
  const token = randomUUID()
  const capsule = { event: { pageviewToken: token, score: 120, batteryLevel: 0.5 }, schema: 'CpuBenchmark', revision: 18436118, webHost: 'en.wikipedia.org', wiki: 'enwiki' }
  const before = await endOffset('eventlogging_CpuBenchmark')
  const res = await beacon(beaconUrl(url, capsule), { headers: { 'user-agent': 'Mozilla/5.0 (legacy client)', 'x-forwarded-for': '198.51.100.7, 10.0.0.1' } })
  assert.equal(res.status, 204)
  assert.equal(res.body, '')

  const [record] = await readAfter('eventlogging_CpuBenchmark', before)
  const event = JSON.parse(record!.value) as Record<string, unknown> & { meta: Record<string, unknown> }
  assert.equal(event.$schema, '/analytics/legacy/cpubenchmark/1.1.0', 'the latest version, recorded as itself')
  assert.deepEqual(event.event, capsule.event)
  assert.equal(event.schema, 'CpuBenchmark')
  assert.equal(event.revision, 18436118)
  assert.equal(event.webHost, 'en.wikipedia.org')
  assert.equal(event.wiki, 'enwiki')
  assert.equal(event.meta.stream, 'eventlogging_CpuBenchmark')
  assert.equal(event.meta.domain, 'en.wikipedia.org')
  assert.equal(event.meta.dt, receivedAt.toISOString())
  assert.equal(event.dt, receivedAt.toISOString(), 'dt is the receive time, as EventLogging\'s was')
  assert.equal(typeof event.meta.id, 'string')
  assert.deepEqual(event.http, { request_headers: { 'user-agent': 'Mozilla/5.0 (legacy client)' } }, 'the user agent as the POST path fills it; this schema takes no client IP')
  assert.equal(record!.timestamp, String(receivedAt.getTime()))
})

test('navigator.sendBeacon(url) POSTs the same URL with no body; the client IP and user agent are filled where the schema takes them', async (t) => {
  const { url } = await startGateway(t)
  const before = await endOffset('eventlogging_BeaconTest')
  const capsule = { event: { action: 'click' }, schema: 'BeaconTest', revision: 1, webHost: 'de.wikipedia.org', wiki: 'dewiki', dt: '1999-01-01T00:00:00Z' }
  const res = await beacon(beaconUrl(url, capsule), { method: 'POST', headers: { 'user-agent': 'Beacon/1.0', 'x-client-ip': '203.0.113.9' } })
  assert.equal(res.status, 204)
  // A body that is no JSON, of a type nothing parses, does not cost the capsule in the URL.
  const odd = await beacon(beaconUrl(url, { ...capsule, event: { action: 'second' } }), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' })
  assert.equal(odd.status, 204)

  const records = await readAfter('eventlogging_BeaconTest', before, 2)
  const [first, second] = records.map((r) => JSON.parse(r.value) as { $schema: string, dt: string, event: { action: string }, http: { client_ip: string, request_headers: Record<string, string> } })
  assert.equal(first!.$schema, '/analytics/legacy/beacontest/1.0.0', 'the configured $schema')
  assert.equal(first!.http.client_ip, '203.0.113.9')
  assert.equal(first!.http.request_headers['user-agent'], 'Beacon/1.0')
  assert.equal(first!.dt, receivedAt.toISOString(), 'a client\'s dt is replaced by the receive time')
  assert.equal(second!.event.action, 'second')
})

test('failures are answered 204 too, and become error events and metrics', async (t) => {
  const { url, prefix } = await startGateway(t)
  const errorTopic = `${prefix}eventgate.error.validation`
  const cases = [
    ['malformed', `${url}/beacon/event?%7B%22schema%22%3A;`],
    ['invalid', beaconUrl(url, { event: { pageviewToken: 'x', score: 'fast' }, schema: 'CpuBenchmark', revision: 1, webHost: 'en.wikipedia.org', wiki: 'enwiki' })],
    ['error', beaconUrl(url, { event: {}, schema: 'NoSuchSchema', revision: 1, webHost: 'en.wikipedia.org', wiki: 'enwiki' })]
  ] as const
  for (const [, target] of cases) assert.equal((await beacon(target)).status, 204)
  // Over beacon.max_capsule_bytes (8 KiB by default), within Node's 16 KiB request line.
  assert.equal((await beacon(beaconUrl(url, { schema: 'CpuBenchmark', event: { pageviewToken: 'x'.repeat(9000) } }))).status, 204, 'too large')

  const errors = (await readMessages(errorTopic, 4, { timeoutMs: 20000 })).map((m) => JSON.parse(m.value) as { error_type: string, raw_event: string, errored_stream_name: string, message: string })
  const byType = new Map(errors.map((e) => [e.error_type, e]))
  assert.equal(byType.get('BeaconParseError')?.raw_event, '{"schema":', 'the undecodable capsule is kept')
  assert.equal(byType.get('BeaconTooLargeError')?.raw_event.length, 8192, 'the first max_capsule_bytes of an oversized one are kept')
  assert.equal(byType.get('ValidationError')?.errored_stream_name, 'eventlogging_CpuBenchmark')
  assert.match(byType.get('SLUICE_ERR_SCHEMA_NOT_FOUND')?.message ?? '', /nosuchschema/)
  const metrics = await beaconMetrics(url)
  for (const outcome of ['malformed', 'invalid', 'error', 'too_large']) assert.match(metrics, new RegExp(`outcome="${outcome}"\\} 1`), metrics)
  assert.doesNotMatch(metrics, /outcome="accepted"/)
})

test('with Kafka failing the beacon is still answered 204, and the failure counted', async (t) => {
  const producer = createCapturingProducer()
  producer.failWith = Object.assign(new Error('down'), { code: 'SLUICE_ERR_KAFKA_UNAVAILABLE' })
  const { app } = await buildTestGateway(t, { producer, config: { stream_config_uri: undefined, beacon: { schemas: { BeaconTest: '/analytics/legacy/beacontest/1.0.0' } } } })
  const res = await app.inject({ method: 'GET', url: `/beacon/event?${encodeURIComponent(JSON.stringify({ schema: 'BeaconTest', event: { action: 'x' } }))};` })
  assert.equal(res.statusCode, 204)
  // Answered once its work started: the count follows.
  await waitFor('the failed beacon to be counted', async () => /sluice_gateway_beacons_total\{outcome="error"\} 1/.test((await app.inject({ method: 'GET', url: '/metrics' })).body))
})
