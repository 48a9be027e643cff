import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { compressionCodecs, createEventProducer, createTopics, producerConfigSchema, producerRetryPolicy } from '../../../src/kafka/index.js'
import { findFreePort } from '../../../src/local-kafka/index.js'
import type { EventProducer, EventProducerOptions, ProduceRecord } from '../../../src/kafka/index.js'
import { createLogger } from '../../../src/logger.js'
import { createKafkaMetrics } from '../../../src/metrics/kafka.js'
import type { KafkaMetrics } from '../../../src/metrics/kafka.js'
import { readMessages, recordBatches, requireBrokers, uniqueTopic } from '../../helpers/kafka.js'
import { startOwnBroker } from '../../helpers/own-broker.js'
import { startSilentServer } from '../../helpers/silent-server.js'
import { waitFor } from '../../helpers/wait.js'

const logger = createLogger({ level: 'silent', name: 'test' })

function capturingLogger (lines: string[]): ReturnType<typeof createLogger> {
  return createLogger({ level: 'debug', name: 'test' }, new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } }))
}

function buildProducer (t: TestContext, overrides: Partial<EventProducerOptions> = {}): { producer: EventProducer, metrics: KafkaMetrics } {
  const metrics = createKafkaMetrics(new Registry())
  const producer = createEventProducer({ brokers: requireBrokers(), clientId: 'producer-test', logger, metrics, ...overrides })
  t.after(() => producer.close())
  return { producer, metrics }
}

interface MetricSource {
  get(): Promise<{ name: string, values: Array<{ value: number, labels: object, metricName?: string }> }>
}

/** One sample of a metric: histograms expose `<name>_count` / `<name>_sum`. */
async function metricValue (metric: MetricSource, name: string, labels: Record<string, string> = {}): Promise<number> {
  const data = await metric.get()
  const sample = data.values.find((value) => (value.metricName ?? data.name) === name &&
    Object.entries(labels).every(([key, expected]) => (value.labels as Record<string, unknown>)[key] === expected))
  return sample?.value ?? 0
}

async function rejectionOf (promise: Promise<unknown>): Promise<Error & { code?: string, statusCode?: number, retriable?: boolean }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: string }
  }
  return assert.fail('expected a rejection')
}

test('records are acknowledged and read back with key, value, timestamp and headers', async (t) => {
  const { producer, metrics } = buildProducer(t)
  await producer.connect()
  assert.equal(producer.isReady(), true)
  const topic = uniqueTopic('produce')
  const timestamp = Date.UTC(2024, 0, 2, 3, 4, 5, 678)
  await producer.send([
    { topic, key: 'page-1', value: '{"n":1}', timestamp, headers: { 'content-type': 'application/json', 'x-request-id': 'r1' } },
    { topic, key: null, value: Buffer.from('{"n":2}') }
  ])
  const messages = await readMessages(topic, 2, { timeoutMs: 20000 })
  assert.deepEqual(messages.map((m) => [m.key, m.value]), [['page-1', '{"n":1}'], [null, '{"n":2}']])
  assert.equal(messages[0]?.timestamp, String(timestamp))
  assert.deepEqual(messages[0]?.headers, { 'content-type': 'application/json', 'x-request-id': 'r1' })
  assert.equal(await metricValue(metrics.producedRecords, 'sluice_kafka_produced_records_total'), 2)
  assert.equal(await metricValue(metrics.up, 'sluice_kafka_up'), 1)
})

test('concurrent sends are coalesced into fewer produce batches', async (t) => {
  const { producer, metrics } = buildProducer(t, { lingerMs: 50 })
  await producer.connect()
  const topic = uniqueTopic('coalesce')
  const sends = 40
  await Promise.all(Array.from({ length: sends }, async (_, i) => producer.send([{ topic, key: `k${i}`, value: `v${i}` }])))
  const batches = await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count')
  assert.ok(batches >= 1 && batches < sends, `expected fewer than ${sends} batches, got ${batches}`)
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_sum'), sends)
  const messages = await readMessages(topic, sends, { timeoutMs: 20000 })
  assert.deepEqual(new Set(messages.map((m) => m.value)), new Set(Array.from({ length: sends }, (_, i) => `v${i}`)))
})

test('without linger, the sends of one turn of the event loop go as one batch', async (t) => {
  const { producer, metrics } = buildProducer(t, { lingerMs: 0 })
  await producer.connect()
  const topic = uniqueTopic('no-linger')
  const sends = 40
  await Promise.all(Array.from({ length: sends }, async (_, i) => producer.send([{ topic, key: `k${i}`, value: `v${i}` }])))
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count'), 1)
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_sum'), sends)
  await producer.send([{ topic, key: 'later', value: 'later' }])
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count'), 2, 'a later send goes at once, in a batch of its own')
  assert.equal((await readMessages(topic, sends + 1, { timeoutMs: 20000 })).length, sends + 1)
})

test('a full batch is sent without waiting for the linger time', async (t) => {
  const { producer, metrics } = buildProducer(t, { lingerMs: 60000, maxBatchRecords: 10 })
  await producer.connect()
  const topic = uniqueTopic('full-batch')
  const started = Date.now()
  await Promise.all(Array.from({ length: 30 }, async (_, i) => producer.send([{ topic, key: null, value: `v${i}` }])))
  assert.ok(Date.now() - started < 10000, 'full batches must not wait for lingerMs')
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count'), 3)
})

test('keys are partitioned like the Java client (murmur2)', async (t) => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('murmur2')
  await createTopics(brokers, [{ name: topic, partitions: 5 }])
  const { producer } = buildProducer(t, { partitioner: 'murmur2_random' })
  await producer.connect()
  // Partitions computed with org.apache.kafka.common.utils.Utils.murmur2 for 5 partitions.
  const expected: Record<string, number> = { 21: 0, foobar: 1, abc: 2, 'a-little-bit-longer-string': 4 }
  await producer.send(Object.keys(expected).map((key): ProduceRecord => ({ topic, key, value: key })))
  const messages = await readMessages(topic, 4, { timeoutMs: 20000 })
  assert.deepEqual(Object.fromEntries(messages.map((m) => [m.key, m.partition])), expected)
})

test('consistent_random puts keys where librdkafka (EventGate) does: CRC-32 of the key', async (t) => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('crc32')
  await createTopics(brokers, [{ name: topic, partitions: 5 }])
  const { producer } = buildProducer(t, { partitioner: 'consistent_random' })
  await producer.connect()
  // CRC-32 check values (0xCBF43926, 0x352441C2, 0x414FA339) modulo 5 partitions.
  const expected: Record<string, number> = { 123456789: 2, abc: 3, 'The quick brown fox jumps over the lazy dog': 4 }
  await producer.send(Object.keys(expected).map((key): ProduceRecord => ({ topic, key, value: key })))
  const messages = await readMessages(topic, 3, { timeoutMs: 20000 })
  assert.deepEqual(Object.fromEntries(messages.map((m) => [m.key, m.partition])), expected)
})

test('without a partitioner, keys go where the services\' default puts them: consistent_random, as librdkafka', async (t) => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('default-partitioner')
  await createTopics(brokers, [{ name: topic, partitions: 5 }])
  const { producer } = buildProducer(t)
  await producer.connect()
  // CRC-32 modulo 5 (2, 3, 4); murmur2 would put these keys on 1, 2 and 3.
  const expected: Record<string, number> = { 123456789: 2, abc: 3, 'The quick brown fox jumps over the lazy dog': 4 }
  await producer.send(Object.keys(expected).map((key): ProduceRecord => ({ topic, key, value: key })))
  const messages = await readMessages(topic, 3, { timeoutMs: 20000 })
  assert.deepEqual(Object.fromEntries(messages.map((m) => [m.key, m.partition])), expected)
  assert.equal(producerConfigSchema.partitioner.default, 'consistent_random')
})

test('a record the broker refuses rejects with SLUICE_ERR_KAFKA_PRODUCE and keeps the producer ready', async (t) => {
  const { producer, metrics } = buildProducer(t)
  await producer.connect()
  const topic = uniqueTopic('too-large')
  const err = await rejectionOf(producer.send([{ topic, key: null, value: Buffer.alloc(2 * 1024 * 1024, 'x') }]))
  assert.equal(err.code, 'SLUICE_ERR_KAFKA_PRODUCE')
  assert.equal(err.retriable, false)
  assert.equal(producer.isReady(), true)
  assert.equal(await metricValue(metrics.produceErrors, 'sluice_kafka_produce_errors_total', { reason: 'rejected' }), 1)
  await producer.send([{ topic, key: null, value: 'small' }])
})

test('a refused record of a coalesced batch rejects only its own send: the others are written, in order', async (t) => {
  const { producer, metrics } = buildProducer(t, { lingerMs: 200 })
  await producer.connect()
  const small = uniqueTopic('refusal-small-limit')
  const other = uniqueTopic('refusal-other')
  await createTopics(requireBrokers(), [{ name: small, partitions: 1, config: { 'max.message.bytes': '4096' } }, { name: other, partitions: 1 }], { logger })
  const before = await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count')
  const sends = [
    ...Array.from({ length: 3 }, (_, i) => producer.send([{ topic: small, key: 'k', value: `small-${i}` }])),
    producer.send([{ topic: small, key: 'k', value: Buffer.alloc(6 * 1024, 'x') }]),
    ...Array.from({ length: 3 }, (_, i) => producer.send([{ topic: small, key: 'k', value: `small-${i + 3}` }])),
    ...Array.from({ length: 3 }, (_, i) => producer.send([{ topic: other, key: null, value: `other-${i}` }]))
  ]
  const results = await Promise.allSettled(sends)
  // One batch: the refusal and the innocent records did share a produce request.
  assert.equal(await metricValue(metrics.produceBatchRecords, 'sluice_kafka_produce_batch_records_count') - before, 1)
  const refused = results.flatMap((r, i) => r.status === 'rejected' ? [{ i, err: r.reason as Error & { code?: string, retriable?: boolean, kafkaError?: string } }] : [])
  assert.deepEqual(refused.map(({ i }) => i), [3])
  assert.equal(refused[0]?.err.code, 'SLUICE_ERR_KAFKA_PRODUCE')
  assert.equal(refused[0]?.err.kafkaError, 'MESSAGE_TOO_LARGE')
  assert.equal(refused[0]?.err.retriable, false)
  assert.equal(await metricValue(metrics.produceErrors, 'sluice_kafka_produce_errors_total', { reason: 'rejected' }), 1)
  assert.equal(producer.isReady(), true)
  // The refused partition wrote nothing in the first request, so its innocent records appear once, in send order.
  const written = await readMessages(small, 6, { timeoutMs: 20000 })
  assert.deepEqual(written.map((m) => m.value), Array.from({ length: 6 }, (_, i) => `small-${i}`))
  const others = await readMessages(other, 3, { timeoutMs: 20000 })
  assert.deepEqual(new Set(others.map((m) => m.value)), new Set(['other-0', 'other-1', 'other-2']))
})

test('one refused record in a 1000-record batch is found by halving, in about 2 log2(n) requests', async (t) => {
  const { producer, metrics } = buildProducer(t, { lingerMs: 200, produceTimeoutMs: 10000 })
  await producer.connect()
  const topic = uniqueTopic('refusal-halving')
  await createTopics(requireBrokers(), [{ name: topic, partitions: 1, config: { 'max.message.bytes': '4096' } }], { logger })
  const bad = 617
  const started = performance.now()
  const results = await Promise.allSettled(Array.from({ length: 1000 }, async (_, i) =>
    producer.send([{ topic, key: null, value: i === bad ? Buffer.alloc(6 * 1024, 'x') : `r${i}` }])))
  const elapsedMs = performance.now() - started
  assert.deepEqual(results.flatMap((r, i) => r.status === 'rejected' ? [i] : []), [bad])
  const requests = await metricValue(metrics.produceDuration, 'sluice_kafka_produce_duration_seconds_count', { result: 'ok' }) +
    await metricValue(metrics.produceDuration, 'sluice_kafka_produce_duration_seconds_count', { result: 'error' })
  t.diagnostic(`1000 sends, one refused: ${requests} produce requests, ${Math.round(elapsedMs)} ms from the sends to the last answer`)
  // Each halving level sends both halves; uneven halves may add one level.
  assert.ok(requests <= 1 + 2 * (Math.ceil(Math.log2(1000)) + 1), `${requests} produce requests`)
  const written = await readMessages(topic, 999, { timeoutMs: 30000 })
  assert.deepEqual(written.map((m) => m.value), Array.from({ length: 1000 }, (_, i) => `r${i}`).filter((_, i) => i !== bad))
})

test('close() flushes records still waiting for the linger time', async (t) => {
  const { producer } = buildProducer(t, { lingerMs: 60000 })
  await producer.connect()
  const topic = uniqueTopic('close-flush')
  const sends = [1, 2, 3].map(async (n) => producer.send([{ topic, key: null, value: `v${n}` }]))
  const started = Date.now()
  await producer.close()
  await Promise.all(sends)
  assert.ok(Date.now() - started < 10000, 'close must not wait for lingerMs')
  assert.equal(producer.isReady(), false)
  const err = await rejectionOf(producer.send([{ topic, key: null, value: 'late' }]))
  assert.equal(err.code, 'SLUICE_ERR_KAFKA_PRODUCER_CLOSED')
  assert.equal(err.statusCode, 503)
  const messages = await readMessages(topic, 3, { timeoutMs: 20000 })
  assert.deepEqual(messages.map((m) => m.value).sort(), ['v1', 'v2', 'v3'])
})

test('an unreachable broker fails connect() and send() fast with SLUICE_ERR_KAFKA_UNAVAILABLE', async (t) => {
  const port = await findFreePort()
  const produceTimeoutMs = 2000
  const { producer } = buildProducer(t, { brokers: [`127.0.0.1:${port}`], produceTimeoutMs })
  const started = Date.now()
  const connectErr = await rejectionOf(producer.connect())
  assert.equal(connectErr.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.ok(Date.now() - started < produceTimeoutMs + 1500, `connect took ${Date.now() - started} ms`)
  assert.equal(producer.isReady(), false)
  const sendStarted = Date.now()
  const err = await rejectionOf(producer.send([{ topic: 'nowhere', key: null, value: 'x' }]))
  assert.equal(err.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.equal(err.statusCode, 503)
  assert.equal(err.retriable, true)
  assert.ok(Date.now() - sendStarted < produceTimeoutMs + 500)
})

test('a broker that never answers makes send() reject with SLUICE_ERR_KAFKA_UNAVAILABLE at produceTimeoutMs', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const address = silent.address()
  if (address === null || typeof address !== 'object') return assert.fail('no server address')
  const produceTimeoutMs = 1000
  const { producer, metrics } = buildProducer(t, { brokers: [`127.0.0.1:${address.port}`], produceTimeoutMs })
  const connecting = producer.connect().catch((err: unknown) => err)
  const started = Date.now()
  const err = await rejectionOf(producer.send([{ topic: 'nowhere', key: null, value: 'x' }]))
  const elapsed = Date.now() - started
  assert.equal(err.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.ok(elapsed >= produceTimeoutMs - 50 && elapsed < produceTimeoutMs + 1000, `rejected after ${elapsed} ms`)
  assert.equal(await metricValue(metrics.produceErrors, 'sluice_kafka_produce_errors_total', { reason: 'timeout' }), 1)
  const closeStarted = Date.now()
  await producer.close()
  assert.ok(Date.now() - closeStarted < produceTimeoutMs + 2000, `close took ${Date.now() - closeStarted} ms`)
  // The connect attempt against this black hole may fail or not; either way it must have ended.
  await connecting
})

test('an address that accepts connections and never answers is not "connected": connect() rejects, not ready', async (t) => {
  const silent = await startSilentServer(t)
  const lines: string[] = []
  const produceTimeoutMs = 1000
  const healthCheckTimeoutMs = 500
  const { producer, metrics } = buildProducer(t, { brokers: [silent.address], produceTimeoutMs, healthCheckTimeoutMs, logger: capturingLogger(lines) })
  const started = Date.now()
  const err = await rejectionOf(producer.connect())
  const elapsed = Date.now() - started
  assert.equal(err.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.match(err.message, /metadata/)
  assert.ok(elapsed < produceTimeoutMs + healthCheckTimeoutMs + 1000, `connect() took ${elapsed} ms`)
  assert.equal(producer.isReady(), false)
  assert.equal(await metricValue(metrics.up, 'sluice_kafka_up'), 0)
  assert.equal(await metricValue(metrics.reachable, 'sluice_kafka_reachable'), 0)
  assert.ok(!lines.some((line) => line.includes('connected to Kafka')), 'never logged as connected')
  assert.ok(lines.some((line) => line.includes('Kafka not reachable')))
})

test('close({ timeoutMs }) resolves in time while Kafka does not answer, logging what it abandoned', async (t) => {
  const silent = await startSilentServer(t)
  const lines: string[] = []
  const { producer } = buildProducer(t, { brokers: [silent.address], produceTimeoutMs: 2000, logger: capturingLogger(lines) })
  const connecting = producer.connect().catch((err: unknown) => err)
  const sending = producer.send([{ topic: 'nowhere', key: null, value: 'x' }]).catch((err: unknown) => err)
  const started = Date.now()
  await producer.close({ timeoutMs: 300 })
  const elapsed = Date.now() - started
  assert.ok(elapsed < 300 + 200, `close took ${elapsed} ms`)
  assert.equal(((await sending) as { code?: string }).code, 'SLUICE_ERR_KAFKA_PRODUCER_CLOSED', 'the queued record fails at once')
  assert.ok(lines.some((line) => line.includes('abandoning') && line.includes('"queuedRecords":1')), 'the log says what was abandoned')
  await connecting
})

/** Milliseconds from `since` until `promise` rejects (it must). */
async function rejectedAfter (promise: Promise<unknown>, since: number): Promise<{ ms: number, code: string | undefined }> {
  const err = await rejectionOf(promise)
  return { ms: Date.now() - since, code: err.code }
}

for (const unavailableWaitMs of [300, 1500]) {
  test(`once a monitored producer knows its broker is gone, a send is answered at once and one under way within unavailableWaitMs (${unavailableWaitMs} ms)`, async (t) => {
    const broker = await startOwnBroker(t)
    const { producer } = buildProducer(t, { brokers: [broker.bootstrap], unavailableWaitMs })
    await producer.connect()
    producer.monitor()
    const topic = uniqueTopic('outage')
    await producer.send([{ topic, key: null, value: 'before' }])

    const killedAt = Date.now()
    broker.kill()
    // Sent before the producer can know: it goes to the client, which retries until told to stop.
    const underWay = await rejectedAfter(producer.send([{ topic, key: null, value: 'under way' }]), killedAt)
    await waitFor('the producer to see the outage', () => !producer.isReady(), 5000, 5)
    const sentAt = Date.now()
    const after = await rejectedAfter(producer.send([{ topic, key: null, value: 'after' }]), sentAt)
    t.diagnostic(`under way: ${underWay.ms} ms after the kill; sent once known: ${after.ms} ms`)
    assert.equal(underWay.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
    assert.equal(after.code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
    assert.ok(after.ms < 50, `a send while Kafka is known to be down took ${after.ms} ms`)
    // The default backoff alone (about 2.4 s for a 5 s produce timeout) would fail both bounds.
    assert.ok(underWay.ms <= unavailableWaitMs + 600, `the send under way took ${underWay.ms} ms`)
    if (unavailableWaitMs > 1000) assert.ok(underWay.ms >= unavailableWaitMs * 0.6, `the send under way was answered after ${underWay.ms} ms, before the wait it was given`)

    await broker.restart()
    await waitFor('the producer to be ready again', () => producer.isReady(), 20000)
    await producer.send([{ topic, key: null, value: 'after the outage' }])
  })
}

test('producerRetryPolicy keeps the client\'s backoff within half the produce timeout', () => {
  for (const timeoutMs of [500, 1000, 5000, 30000]) {
    const policy = producerRetryPolicy(timeoutMs)
    let delay = (policy.initialRetryTime ?? 0) * 1.2
    let total = 0
    for (let i = 0; i < (policy.retries ?? 0); i++) {
      total += delay
      delay = Math.min(delay * 1.2 * 2, policy.maxRetryTime ?? Infinity)
    }
    assert.ok(total <= timeoutMs / 2, `${timeoutMs}: ${total}`)
    assert.ok((policy.retries ?? 0) >= 1 || timeoutMs < 300)
  }
})

test('compression: each of the five codecs compresses the batches it sends, and the records read back as sent', async (t) => {
  for (const codec of compressionCodecs) {
    const { producer } = buildProducer(t, { compression: codec })
    const topic = uniqueTopic(`codec-${codec}`)
    await producer.connect()
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, key: null, value: `{"codec":"${codec}","n":${i}}` })))
    const batches = await recordBatches(topic)
    assert.deepEqual([...new Set(batches.map((batch) => batch.codec))], [codec], `${codec}: ${JSON.stringify(batches)}`)
    assert.deepEqual(batches.flatMap((batch) => batch.values), Array.from({ length: 5 }, (_, i) => `{"codec":"${codec}","n":${i}}`))
  }
})

test('compression: a record\'s own codec wins over the producer\'s, also within one coalesced batch', async (t) => {
  const { producer } = buildProducer(t, { compression: 'snappy' })
  const [own, fallback] = [uniqueTopic('codec-own'), uniqueTopic('codec-fallback')]
  await producer.connect()
  // Sent in one turn of the event loop: one batch, two codecs.
  await Promise.all([
    producer.send([{ topic: own, key: null, value: 'zstd record', compression: 'zstd' }]),
    producer.send([{ topic: fallback, key: null, value: 'snappy record' }])
  ])
  assert.deepEqual((await recordBatches(own)).map((batch) => [batch.codec, batch.values]), [['zstd', ['zstd record']]])
  assert.deepEqual((await recordBatches(fallback)).map((batch) => [batch.codec, batch.values]), [['snappy', ['snappy record']]])
})
