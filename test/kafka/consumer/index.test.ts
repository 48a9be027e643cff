import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { createEventConsumer } from '../../../src/kafka/consumer/index.js'
import type { ConsumedMessage, EventConsumer, PartitionProgress } from '../../../src/kafka/consumer/index.js'
import { compressionCodecs } from '../../../src/kafka/index.js'
import { committedOffsets, createTopic, produceMessages, recordBatches, requireBrokers, uniqueGroupId, uniqueTopic } from '../../helpers/kafka.js'

const logger = pino({ level: 'silent' })


async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function consumerFor (topic: string, groupId: string, extra: Partial<Parameters<typeof createEventConsumer>[0]> = {}): EventConsumer {
  return createEventConsumer({
    brokers: requireBrokers(),
    clientId: 'test',
    groupId,
    topics: [topic],
    fromBeginning: true,
    commitIntervalMs: 20,
    sessionTimeoutMs: 10000,
    heartbeatIntervalMs: 500,
    maxWaitTimeMs: 100,
    logger,
    ...extra
  })
}

function values (count: number, prefix = 'm'): Array<{ value: string }> {
  return Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}` }))
}

test('delivers every message and commits after the handler resolves', async (t) => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic)
  await produceMessages(topic, values(5))
  const seen: string[] = []
  const progress: PartitionProgress[] = []
  const consumer = consumerFor(topic, groupId, { onProgress: (p) => progress.push(p) })
  t.after(async () => { await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async (message) => { seen.push(message.value?.toString() ?? '') })
  await waitFor('5 messages', () => seen.length === 5)
  assert.deepEqual(seen, ['m0', 'm1', 'm2', 'm3', 'm4'], 'concurrency 1 keeps partition order')
  await waitFor('commit of offset 5', async () => (await committedOffsets(groupId, topic))[0] === '5')
  await waitFor('a progress report with the commit', () => progress.some((p) => p.committed === '5' && p.lag === 0 && p.highWatermark === '5'))
  assert.equal(consumer.isReady(), true)
  assert.deepEqual(consumer.assignment(), [{ topic, partition: 0 }])
})

test('a stuck handler: lag and the age of the oldest unfinished message keep being reported while nothing is fetched', async (t) => {
  const topic = uniqueTopic('consumer')
  await createTopic(topic)
  await produceMessages(topic, values(3))
  let release: () => void = () => {}
  const stuck = new Promise<void>((resolve) => { release = resolve })
  const progress: PartitionProgress[] = []
  // Concurrency 1 and a handler that never returns: the batch waits for a slot and no fetch follows.
  const consumer = consumerFor(topic, uniqueGroupId(), { progressIntervalMs: 100, onProgress: (p) => progress.push(p) })
  t.after(async () => { release(); await consumer.close({ drainTimeoutMs: 0 }) })
  let started = 0
  await consumer.start(async () => { started++; await stuck })
  await waitFor('the first message to be stuck', () => started === 1 && progress.some((p) => p.lag === 3))
  await produceMessages(topic, values(5, 'late'))
  await waitFor('the lag to include the messages produced while stuck', () => progress.at(-1)?.lag === 8)
  const ages = progress.map((p) => p.oldestUnfinishedMs)
  const seen = progress.length
  await waitFor('a later report with an older age', () => progress.length > seen + 1 && (progress.at(-1)?.oldestUnfinishedMs ?? 0) > (ages.at(-1) ?? 0))
  assert.equal(started, 1, 'still stuck')
  release()
  await waitFor('the age to drop to 0 once nothing is unfinished', () => progress.at(-1)?.oldestUnfinishedMs === 0 && progress.at(-1)?.lag === 0)
})

test('a running message holds the commit back while later ones finish', async (t) => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic)
  await produceMessages(topic, values(4))
  let releaseFirst: () => void = () => {}
  const firstHeld = new Promise<void>((resolve) => { releaseFirst = resolve })
  const finished = new Set<string>()
  // Progress reports carry what the consumer has committed; each comes after commit rounds had
  // their chance (20 ms apart), so several reports in a row are what the negative check awaits.
  const reports: Array<string | undefined> = []
  const consumer = consumerFor(topic, groupId, { concurrency: 4, progressIntervalMs: 50, onProgress: (progress) => { reports.push(progress.committed) } })
  t.after(async () => { releaseFirst(); await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async (message) => {
    if (message.offset === '0') await firstHeld
    finished.add(message.offset)
  })
  await waitFor('offsets 1..3 to finish', () => ['1', '2', '3'].every((o) => finished.has(o)))
  assert.equal(consumer.inFlight(), 1)
  const seen = reports.length
  await waitFor('four progress reports after offsets 1..3 finished', () => reports.length >= seen + 4)
  assert.deepEqual(reports.slice(seen).filter((committed) => committed !== undefined), [], 'the consumer committed nothing while offset 0 runs')
  assert.equal((await committedOffsets(groupId, topic))[0], '-1', 'nothing may be committed while offset 0 runs')
  releaseFirst()
  await waitFor('commit of offset 4', async () => (await committedOffsets(groupId, topic))[0] === '4')
})

test('never runs more than `concurrency` handlers at once', async (t) => {
  const topic = uniqueTopic('consumer')
  await createTopic(topic)
  await produceMessages(topic, values(30))
  let running = 0
  let peak = 0
  let done = 0
  const consumer = consumerFor(topic, uniqueGroupId(), { concurrency: 3 })
  t.after(async () => { await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async () => {
    running++
    peak = Math.max(peak, running)
    await new Promise((resolve) => setTimeout(resolve, 5))
    running--
    done++
  })
  await waitFor('30 messages', () => done === 30)
  assert.equal(peak, 3)
})

test('a rejecting handler is run again until it succeeds', async (t) => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic)
  await produceMessages(topic, values(2))
  const attempts = new Map<string, number>()
  const consumer = consumerFor(topic, groupId, { handlerRetryDelayMs: 10 })
  t.after(async () => { await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async (message) => {
    const count = (attempts.get(message.offset) ?? 0) + 1
    attempts.set(message.offset, count)
    if (message.offset === '0' && count < 3) throw new Error('not yet')
  })
  await waitFor('commit of offset 2', async () => (await committedOffsets(groupId, topic))[0] === '2')
  assert.equal(attempts.get('0'), 3)
  assert.equal(attempts.get('1'), 1, 'the next message waits behind the failing one at concurrency 1')
})

test('each partition commits its own finished prefix', async (t) => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic, 3)
  await produceMessages(topic, [
    ...values(3, 'a').map((m) => ({ ...m, partition: 0 })),
    ...values(2, 'b').map((m) => ({ ...m, partition: 1 })),
    ...values(1, 'c').map((m) => ({ ...m, partition: 2 }))
  ])
  const held = new Map<string, () => void>()
  let count = 0
  const consumer = consumerFor(topic, groupId, { concurrency: 10 })
  t.after(async () => { for (const release of held.values()) release(); await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async (message: ConsumedMessage) => {
    count++
    // Hold the second message of partition 0 only.
    if (message.partition === 0 && message.offset === '1') await new Promise<void>((resolve) => held.set('p0', resolve))
  })
  await waitFor('6 deliveries', () => count === 6)
  await waitFor('commits of partitions 1 and 2 and the first of 0', async () => {
    const offsets = await committedOffsets(groupId, topic)
    return offsets[0] === '1' && offsets[1] === '2' && offsets[2] === '1'
  })
  held.get('p0')?.()
  await waitFor('partition 0 to commit 3', async () => (await committedOffsets(groupId, topic))[0] === '3')
})

test('close drains in-flight work, commits it, and a restart continues from there', async () => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic)
  await produceMessages(topic, values(3))
  const handled: string[] = []
  let entered: () => void = () => {}
  const inside = new Promise<void>((resolve) => { entered = resolve })
  const first = consumerFor(topic, groupId, { concurrency: 1 })
  await first.start(async (message) => {
    if (message.offset === '1') {
      entered()
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    handled.push(message.offset)
  })
  await inside
  const result = await first.close({ drainTimeoutMs: 5000 })
  assert.equal(result.abandoned, 0)
  assert.deepEqual(handled, ['0', '1'], 'the running message finished; no new one started')
  assert.equal((await committedOffsets(groupId, topic))[0], '2')

  const second = consumerFor(topic, groupId)
  const rest: string[] = []
  await second.start(async (message) => { rest.push(message.offset) })
  await waitFor('the remaining message', () => rest.length === 1)
  await second.close()
  assert.deepEqual(rest, ['2'])
})

test('a message abandoned at the shutdown deadline is not committed and runs again after restart', async () => {
  const topic = uniqueTopic('consumer')
  const groupId = uniqueGroupId()
  await createTopic(topic)
  await produceMessages(topic, values(2))
  let signalSeen = false
  const first = consumerFor(topic, groupId, { concurrency: 2 })
  let started = 0
  await first.start(async (message, signal) => {
    started++
    if (message.offset === '0') {
      await new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => { signalSeen = true; reject(new Error('aborted')) })
      })
    }
  })
  await waitFor('both messages started', () => started === 2)
  const result = await first.close({ drainTimeoutMs: 50 })
  assert.equal(result.abandoned, 1)
  assert.equal(signalSeen, true)
  assert.equal((await committedOffsets(groupId, topic))[0], '-1', 'offset 1 finished but 0 did not: nothing is committed')

  const second = consumerFor(topic, groupId)
  const again: string[] = []
  await second.start(async (message) => { again.push(message.offset) })
  await waitFor('both messages again', () => again.length === 2)
  await second.close()
  assert.deepEqual(again, ['0', '1'])
})

test('reads records of every codec: none, gzip, snappy, lz4 and zstd', async (t) => {
  const topic = uniqueTopic('consumer-codecs')
  await createTopic(topic)
  for (const codec of compressionCodecs) await produceMessages(topic, [{ value: `${codec} 1` }, { value: `${codec} 2` }], { compression: codec })
  // The broker kept each batch as it was compressed.
  assert.deepEqual((await recordBatches(topic)).map((batch) => batch.codec), [...compressionCodecs])
  const seen: string[] = []
  const consumer = consumerFor(topic, uniqueGroupId())
  t.after(async () => { await consumer.close({ drainTimeoutMs: 0 }) })
  await consumer.start(async (message) => { seen.push(message.value?.toString() ?? '') })
  await waitFor('every record', () => seen.length === 2 * compressionCodecs.length)
  assert.deepEqual(seen, compressionCodecs.flatMap((codec) => [`${codec} 1`, `${codec} 2`]))
})
