import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createTopics, fetchTopicOffsets, probeKafka, tailTopic } from '../../src/kafka/index.js'
import { findFreePort } from '../../src/local-kafka/index.js'
import type { TailedMessage } from '../../src/kafka/index.js'
import { produceMessages, requireBrokers, uniqueTopic } from '../helpers/kafka.js'

test('createTopics creates topics with their partition counts and leaves existing ones alone', async () => {
  const brokers = requireBrokers()
  const three = uniqueTopic('admin-three')
  const one = uniqueTopic('admin-one')
  await createTopics(brokers, [{ name: three, partitions: 3 }, { name: one, partitions: 1, config: { 'cleanup.policy': 'compact' } }])
  assert.deepEqual(await fetchTopicOffsets(brokers, three), [0, 1, 2].map((partition) => ({ partition, low: '0', high: '0' })))
  await createTopics(brokers, [{ name: three, partitions: 5 }])
  assert.equal((await fetchTopicOffsets(brokers, three)).length, 3)
  assert.equal((await fetchTopicOffsets(brokers, one)).length, 1)
})

test('fetchTopicOffsets reports the high watermark after producing', async () => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('admin-offsets')
  await createTopics(brokers, [{ name: topic, partitions: 2 }])
  await produceMessages(topic, [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }, { value: 'c', partition: 0 }])
  assert.deepEqual(await fetchTopicOffsets(brokers, topic), [
    { partition: 0, low: '0', high: '1' },
    { partition: 1, low: '0', high: '2' }
  ])
})

test('probeKafka is true for the broker and false, within its timeout, for a closed port', async () => {
  assert.equal(await probeKafka(requireBrokers(), 5000), true)
  const port = await findFreePort()
  const started = Date.now()
  assert.equal(await probeKafka([`127.0.0.1:${port}`], 1000), false)
  assert.ok(Date.now() - started < 2000, `probe took ${Date.now() - started} ms`)
})

test('tailTopic reads from the beginning up to max, and refuses a missing topic', async () => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('admin-tail')
  await createTopics(brokers, [{ name: topic, partitions: 1 }])
  await produceMessages(topic, [{ key: 'k1', value: 'one', headers: { h: 'v' } }, { value: 'two' }, { value: 'three' }])
  const seen: TailedMessage[] = []
  assert.equal(await tailTopic(brokers, topic, { fromBeginning: true, max: 2, onMessage: (m) => seen.push(m) }), 2)
  assert.deepEqual(seen.map((m) => [m.key, m.value, m.offset, m.headers]), [['k1', 'one', '0', { h: 'v' }], [null, 'two', '1', {}]])
  await assert.rejects(tailTopic(brokers, uniqueTopic('admin-missing'), { max: 1, onMessage: () => undefined }), { code: 'SLUICE_ERR_KAFKA_ADMIN' })
})

test('tailTopic stops when its signal aborts', async () => {
  const brokers = requireBrokers()
  const topic = uniqueTopic('admin-tail-abort')
  await createTopics(brokers, [{ name: topic, partitions: 1 }])
  const stop = new AbortController()
  const tail = tailTopic(brokers, topic, { fromBeginning: true, signal: stop.signal, onMessage: () => { stop.abort() } })
  await produceMessages(topic, [{ value: 'wake up' }])
  assert.equal(await tail, 1)
})
