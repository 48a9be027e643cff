import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compressionCodecs, type StreamRecord } from '../../src/kafka/index.js'
import { createStreamReader, type StreamReader } from '../../src/streams/tails.js'
import { createLogger } from '../../src/logger.js'
import { createTopic, produceMessages, recordBatches, requireBrokers, uniqueTopic } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'

const logger = createLogger({ level: 'silent', name: 'test' })

function reader (t: { after: (fn: () => Promise<void>) => void }, brokers = requireBrokers(), extra: { healthCheckIntervalMs?: number, healthCheckTimeoutMs?: number, liveWriteIntervalMs?: number } = {}): StreamReader {
  const r = createStreamReader({ brokers, clientId: 'stream-reader-test', logger, fetchMaxWaitMs: 100, ...extra })
  t.after(async () => { await r.close() })
  return r
}

function collector (): { records: StreamRecord[], deliver: (rs: readonly StreamRecord[]) => void, error: (err: Error) => void, errors: Error[] } {
  const records: StreamRecord[] = []
  const errors: Error[] = []
  return { records, errors, deliver: (rs) => { records.push(...rs) }, error: (err) => { errors.push(err) } }
}

function assertContiguous (records: readonly StreamRecord[], from: number, count: number): void {
  assert.deepEqual(records.map((r) => r.offset), Array.from({ length: count }, (_, i) => from + i))
}

test('follow from the end receives new records live; two tail followers share one fetch loop', async (t) => {
  const topic = uniqueTopic('sr-live')
  await createTopic(topic, 1)
  const r = reader(t)
  const [end] = await r.resolve([{ topic, partition: 0 }])
  const a = collector()
  const b = collector()
  const fa = r.follow([end!], a)
  const fb = r.follow([end!], b)
  await produceMessages(topic, [{ value: 'x' }, { value: 'y' }])
  await waitFor('both followers got two records', () => a.records.length === 2 && b.records.length === 2)
  assert.deepEqual(r.stats().tailLoops, { [`${topic}/0`]: 1 })
  assert.equal(a.records[0]!.value!.toString(), 'x')
  fa.close()
  fb.close()
  await waitFor('tail loop stopped after its last follower left', () => Object.keys(r.stats().tailLoops).length === 0)
})

test('live_write_interval_ms: what the tails fetch within the interval reaches a follower in one delivery, no sooner than the interval', async (t) => {
  const intervalMs = 2000
  const topic = uniqueTopic('sr-interval')
  await createTopic(topic, 2)
  const r = reader(t, requireBrokers(), { liveWriteIntervalMs: intervalMs })
  const ends = await r.resolve([{ topic, partition: 0 }, { topic, partition: 1 }])
  const deliveries: Array<{ at: number, offsets: string[] }> = []
  const f = r.follow(ends, { deliver: (rs) => { deliveries.push({ at: Date.now(), offsets: rs.map((x) => `${x.partition}:${x.offset}`) }) }, error: () => {} })
  t.after(() => { f.close() })
  // Only the shared tails' records are held for the interval: a follower first reads on its own.
  await waitFor('the follower on both tails', () => Object.keys(r.stats().tailLoops).length === 2, 10000)
  const started = Date.now()
  // Two produce requests, one per partition: two fetches by two tails, well within the interval.
  await produceMessages(topic, [{ value: 'a', partition: 0 }])
  await produceMessages(topic, [{ value: 'b', partition: 1 }])
  await waitFor('a delivery', () => deliveries.length > 0, 10000)
  assert.deepEqual(deliveries.map((d) => d.offsets.sort()), [['0:0', '1:0']], 'both partitions in one delivery')
  assert.ok(deliveries[0]!.at - started >= intervalMs - 50, `delivered ${deliveries[0]!.at - started} ms after the first record`)
})

test('a follower behind catches up and joins the tail with no gap and no duplicate while records keep coming', async (t) => {
  const topic = uniqueTopic('sr-catchup')
  await createTopic(topic, 1)
  await produceMessages(topic, Array.from({ length: 500 }, (_, i) => ({ value: `old-${i}` })))
  const r = reader(t)
  const [end] = await r.resolve([{ topic, partition: 0 }])
  const live = collector()
  const fl = r.follow([end!], live)
  let producing = true
  let produced = 500
  const producer = (async () => {
    while (producing) {
      await produceMessages(topic, Array.from({ length: 20 }, (_, i) => ({ value: `new-${produced + i}` })))
      produced += 20
    }
  })()
  await waitFor('live records flow', () => live.records.length > 0)
  const behind = collector()
  const fb = r.follow([{ topic, partition: 0, offset: 0 }], behind)
  await waitFor('catch-up joined the tail', () => r.stats().catchUpReaders === 0 && behind.records.length > 600)
  producing = false
  await producer
  await waitFor('every produced record delivered', () => behind.records.length === produced)
  assertContiguous(behind.records, 0, produced)
  assert.deepEqual(r.stats().tailLoops, { [`${topic}/0`]: 1 })
  fl.close()
  fb.close()
})

test('a slow catch-up follower is paused without slowing the shared tail', async (t) => {
  const topic = uniqueTopic('sr-slow')
  await createTopic(topic, 1)
  await produceMessages(topic, Array.from({ length: 50 }, (_, i) => ({ value: `v${i}` })))
  const r = reader(t)
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let slowCalls = 0
  const slow = r.follow([{ topic, partition: 0, offset: 0 }], { deliver: async () => { slowCalls++; await gate }, error: () => {} })
  // The slow follower is stuck inside its first delivery before the live record exists.
  await waitFor('the slow follower is inside its first delivery', () => slowCalls === 1)
  const fast = collector()
  const ff = r.follow([{ topic, partition: 0, offset: 50 }], fast)
  await produceMessages(topic, [{ value: 'live' }])
  await waitFor('fast follower got the live record', () => fast.records.length === 1)
  assert.equal(slowCalls, 1, 'the slow follower was not handed more while its delivery was pending')
  release()
  slow.close()
  ff.close()
})

test('offsets below the log start or past the end are clamped', async (t) => {
  const topic = uniqueTopic('sr-clamp')
  await createTopic(topic, 1)
  await produceMessages(topic, [{ value: 'a' }, { value: 'b' }])
  const r = reader(t)
  const past = collector()
  const f = r.follow([{ topic, partition: 0, offset: 1000 }], past)
  await waitFor('tail moved to the end', () => Object.keys(r.stats().tailLoops).length === 1)
  await produceMessages(topic, [{ value: 'c' }])
  await waitFor('record after the end delivered', () => past.records.length === 1)
  assert.equal(past.records[0]!.offset, 2)
  f.close()
})

test('a follower past the end joins a running tail at the end, not at its own offset', async (t) => {
  const topic = uniqueTopic('sr-past-tail')
  await createTopic(topic, 1)
  await produceMessages(topic, [{ value: 'a' }, { value: 'b' }])
  const r = reader(t)
  const atEnd = collector()
  const fa = r.follow([{ topic, partition: 0, offset: 2 }], atEnd)
  await waitFor('the tail runs', () => Object.keys(r.stats().tailLoops).length === 1)
  const past = collector()
  const fp = r.follow([{ topic, partition: 0, offset: 4200 }], past)
  await waitFor('the late follower joined the tail', () => r.stats().catchUpReaders === 0)
  await produceMessages(topic, [{ value: 'c' }])
  await waitFor('both got the new record', () => atEnd.records.length === 1 && past.records.length === 1)
  assert.equal(past.records[0]!.offset, 2)
  fa.close()
  fp.close()
})

test('reads records of every codec: none, gzip, snappy, lz4 and zstd', async (t) => {
  const topic = uniqueTopic('sr-codecs')
  await createTopic(topic, 1)
  for (const codec of compressionCodecs) await produceMessages(topic, [{ value: `${codec} 1` }, { value: `${codec} 2` }], { compression: codec })
  assert.deepEqual((await recordBatches(topic)).map((batch) => batch.codec), [...compressionCodecs])
  const r = reader(t)
  const c = collector()
  const follow = r.follow([{ topic, partition: 0, offset: 0 }], c)
  t.after(() => { follow.close() })
  await waitFor('every record', () => c.records.length === 2 * compressionCodecs.length, 15000)
  assert.deepEqual(c.records.map((record) => record.value?.toString()), compressionCodecs.flatMap((codec) => [`${codec} 1`, `${codec} 2`]))
  assertContiguous(c.records, 0, 10)
})
