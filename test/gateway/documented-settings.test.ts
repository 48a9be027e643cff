import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync } from 'node:zlib'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway } from '../../src/gateway/index.js'
import { createTopics } from '../../src/kafka/index.js'
import { readMessages, recordBatches, requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'

// Settings the README documents, each exercised end to end: the real gateway on a port, its
// own batching producer, the test run's Kafka broker, records read back from the topics.

interface Running { gateway: Gateway, url: string, prefix: string }

async function startGateway (t: TestContext, overrides: Record<string, unknown> = {}, prefix = `ds${randomUUID().slice(0, 8)}.`): Promise<Running> {
  const kafka = { brokers: requireBrokers(), ...(overrides.kafka as Record<string, unknown> | undefined) }
  const config = testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, ...overrides, kafka })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  return { gateway, url: await listen(gateway), prefix }
}

async function post (url: string, body: unknown, options: { headers?: Record<string, string>, raw?: Buffer } = {}): Promise<{ status: number, body: string }> {
  const res = await request(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.raw ?? JSON.stringify(body)
  })
  return { status: res.statusCode, body: await res.body.text() }
}

function testEvent (extra: Record<string, unknown> = {}, stream = 'test.event'): Record<string, unknown> {
  return { $schema: '/test/event/1.0.0', meta: { stream, dt: '2024-05-06T07:08:09Z' }, test: randomUUID(), ...extra }
}

test('a Content-Encoding: br body is inflated and its events produced', async (t) => {
  const { url, prefix } = await startGateway(t)
  const event = testEvent()
  const res = await post(url, undefined, { headers: { 'content-encoding': 'br' }, raw: brotliCompressSync(JSON.stringify([event])) })
  assert.equal(res.status, 201, res.body)
  const [message] = await readMessages(`${prefix}test.event`, 1)
  assert.equal((JSON.parse(message?.value ?? '{}') as { test: string }).test, event.test)
})

test('stream_config_ttl re-reads the stream config: a stream added to the file is accepted without a reload', async (t) => {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-streams-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'streams.yaml')
  await copyFile(join(fixturesDir, 'stream-config', 'streams.yaml'), file)
  const { url, prefix } = await startGateway(t, { stream_config_uri: file, stream_config_ttl: 1 })

  const late = testEvent({}, 'test.late')
  const before = await post(url, late)
  assert.equal(before.status, 500, before.body)
  assert.match(before.body, /SLUICE_ERR_STREAM_NOT_CONFIGURED/)

  await writeFile(file, `${await readFile(file, 'utf8')}\ntest.late:\n  schema_title: test/event\n`)
  await waitFor('the re-read stream config to allow test.late', async () => (await post(url, late)).status === 201)
  const [message] = await readMessages(`${prefix}test.late`, 1)
  assert.equal((JSON.parse(message?.value ?? '{}') as { test: string }).test, late.test)
})

test('list-valued schema_uri_field and stream_field: the first field present wins', async (t) => {
  const { url, prefix } = await startGateway(t, { schema_uri_field: ['schema_uri', '$schema'], stream_field: ['stream', 'meta.stream'] })
  // Both fields of each list are present: the first must be the one used.
  const first = testEvent({ schema_uri: '/test/event/1.0.0', $schema: '/test/not-there/1.0.0', stream: 'test.regex.first' })
  // Only the second fields are present.
  const second = testEvent()
  const res = await post(url, [first, second])
  assert.equal(res.status, 201, res.body)
  const [inFirst] = await readMessages(`${prefix}test.regex.first`, 1)
  assert.equal((JSON.parse(inFirst?.value ?? '{}') as { test: string }).test, first.test)
  const [inSecond] = await readMessages(`${prefix}test.event`, 1)
  assert.equal((JSON.parse(inSecond?.value ?? '{}') as { test: string }).test, second.test)
})

test('a non-default dt_field sets the Kafka record timestamp', async (t) => {
  const { url, prefix } = await startGateway(t, { dt_field: 'dt' })
  // Ten minutes ago: within max_timestamp_skew_ms (1 hour), so the record timestamp is the field's.
  const dt = new Date(Date.now() - 600000).toISOString()
  const res = await post(url, testEvent({ dt }))
  assert.equal(res.status, 201, res.body)
  const [message] = await readMessages(`${prefix}test.event`, 1)
  assert.equal(message?.timestamp, String(Date.parse(dt)), 'dt, not meta.dt (2024-05-06T07:08:09Z)')
})

test('kafka.compression: gzip sends compressed batches: an event over the topic\'s max.message.bytes fits once gzipped', async (t) => {
  const prefix = `ds${randomUUID().slice(0, 8)}.`
  // The broker checks the (compressed) batch size against the topic's max.message.bytes.
  await createTopics(requireBrokers(), [{ name: `${prefix}test.event`, partitions: 1, config: { 'max.message.bytes': '4000' } }])
  const event = testEvent({ test: 'sluice '.repeat(3000) })

  const plain = await startGateway(t, { kafka: { compression: 'none' } }, prefix)
  const refused = await post(plain.url, event)
  assert.equal(refused.status, 500, 'uncompressed, the 21 kB record is over the limit')
  assert.match(refused.body, /SLUICE_ERR_KAFKA_PRODUCE/)

  const gzip = await startGateway(t, { kafka: { compression: 'gzip' } }, prefix)
  const accepted = await post(gzip.url, event)
  assert.equal(accepted.status, 201, accepted.body)
  const [message] = await readMessages(`${prefix}test.event`, 1)
  assert.equal((JSON.parse(message?.value ?? '{}') as { test: string }).test, event.test)
})

test('kafka.compression and a stream\'s own compression setting: each stream\'s batches carry its codec', async (t) => {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-codecs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'streams.yaml')
  await writeFile(file, 'test.event:\n  schema_title: test/event\n  compression: zstd\ntest.plain:\n  schema_title: test/event\n')
  const { url, prefix } = await startGateway(t, { stream_config_uri: file, kafka: { compression: 'snappy' } })
  const res = await post(url, [testEvent({}, 'test.event'), testEvent({}, 'test.plain')])
  assert.equal(res.status, 201, res.body)
  assert.deepEqual((await recordBatches(`${prefix}test.event`)).map((batch) => batch.codec), ['zstd'])
  assert.deepEqual((await recordBatches(`${prefix}test.plain`)).map((batch) => batch.codec), ['snappy'])
})

test('a schema_precache_uris entry that does not load stops startup', async () => {
  const config = testGatewayConfig({ port: 0, kafka: { brokers: requireBrokers() }, schema_precache_uris: ['/test/event/1.0.0', '/test/not-there/1.0.0'] })
  await assert.rejects(createGateway(config, { cwd: fixturesDir, logger: testLogger() }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_NOT_FOUND')
    assert.match(err.message, /\/test\/not-there\/1\.0\.0/)
    return true
  })
})

test('schema_precache_uris that all load let the gateway start', async (t) => {
  const { url } = await startGateway(t, { schema_precache_uris: ['/test/event/1.0.0'] })
  assert.equal((await post(url, testEvent())).status, 201)
})
