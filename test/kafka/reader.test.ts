import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKafkaReader, type KafkaReader } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { createTopic, produceMessages, requireBrokers, uniqueTopic } from '../helpers/kafka.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { waitFor } from '../helpers/wait.js'

// What the stream service reads Kafka with: metadata, positions and readiness (the fetches
// behind its tails are tested with them, in test/streams/tails.test.ts).

const logger = createLogger({ level: 'silent', name: 'test' })

function reader (t: { after: (fn: () => Promise<void>) => void }, brokers = requireBrokers(), extra: { healthCheckIntervalMs?: number, healthCheckTimeoutMs?: number } = {}): KafkaReader {
  const r = createKafkaReader({ brokers, clientId: 'stream-reader-test', logger, fetchMaxWaitMs: 100, ...extra })
  t.after(async () => { await r.close() })
  return r
}

test('partitionsOf lists every partition and rejects unknown topics naming them', async (t) => {
  const topic = uniqueTopic('sr-parts')
  await createTopic(topic, 3)
  const r = reader(t)
  assert.deepEqual(await r.partitionsOf([topic]), [0, 1, 2].map((partition) => ({ topic, partition })))
  await assert.rejects(r.partitionsOf([topic, 'sr-missing-topic']), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SLUICE_ERR_KAFKA_UNKNOWN_TOPIC')
    assert.match(err.message, /sr-missing-topic/)
    return true
  })
})

test('resolve keeps offsets, maps timestamps to the first record >= ts (same millisecond included), else the end', async (t) => {
  const topic = uniqueTopic('sr-resolve')
  await createTopic(topic, 1)
  const base = Date.now() - 60_000
  await produceMessages(topic, [
    { value: 'a', timestamp: base }, { value: 'b', timestamp: base + 10 }, { value: 'c', timestamp: base + 10 }, { value: 'd', timestamp: base + 20 }
  ])
  const r = reader(t)
  const got = await r.resolve([
    { topic, partition: 0, offset: 1 },
    { topic, partition: 0, timestamp: base + 10 },
    { topic, partition: 0, timestamp: base + 5 },
    { topic, partition: 0, timestamp: base - 1_000_000 },
    { topic, partition: 0, timestamp: base + 1_000_000 },
    { topic, partition: 0 }
  ])
  assert.deepEqual(got.map((g) => g.offset), [1, 1, 1, 0, 4, 4])
})

test('isReady is true with a broker, false for an address that never answers', async (t) => {
  const r = reader(t, requireBrokers(), { healthCheckIntervalMs: 200, healthCheckTimeoutMs: 300 })
  await waitFor('ready', () => r.isReady(), 5000)
  const silent = await startSilentServer(t)
  const s = reader(t, [silent.address], { healthCheckIntervalMs: 200, healthCheckTimeoutMs: 300 })
  assert.equal(s.isReady(), false)
  // Connected is not answered: once the probe's connection is accepted (and never answered), still not ready.
  await waitFor('the probe to connect', () => silent.connections >= 1, 5000)
  assert.equal(s.isReady(), false)
})

test('a fetcher reads a partition from an offset, and moves an offset past the end or before the start to the log', async (t) => {
  const topic = uniqueTopic('sr-fetcher')
  await createTopic(topic, 1)
  await produceMessages(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
  const r = reader(t)
  const fetcher = r.fetcher()
  t.after(async () => { await fetcher.close() })
  const fromOne = await fetcher.fetch(topic, 0, 1)
  assert.deepEqual(fromOne.records.map((record) => [record.offset, record.value?.toString()]), [[1, 'b'], [2, 'c']])
  assert.equal(fromOne.next, 3)
  assert.equal(fromOne.end, 3)
  const past = await fetcher.fetch(topic, 0, 1000)
  assert.deepEqual({ records: past.records.length, next: past.next, end: past.end }, { records: 0, next: 3, end: 3 })
  assert.deepEqual(r.stats(), { fetches: 2, recordsRead: 2 })
})
