import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PartitionerContext } from '@platformatic/kafka'
import { consistentPartition, createPartitioner } from '../../../src/kafka/producer/partitioner.js'
import type { RecordPartitioner } from '../../../src/kafka/producer/partitioner.js'

/** Asks `partitioner` for a record of topic `t` whose partitions have these leaders (-1: none). */
function partitionOf (partitioner: RecordPartitioner, key: string | Buffer | null, leaders: number[] | undefined): number {
  const metadata: PartitionerContext['metadata'] = leaders === undefined
    ? undefined
    : {
        id: 'cluster',
        brokers: new Map(),
        controllerId: 1,
        lastUpdate: 0,
        topics: new Map([['t', { id: 't', partitionsCount: leaders.length, lastUpdate: 0, partitions: leaders.map((leader) => ({ leader, leaderEpoch: 0, replicas: [], isr: [], offlineReplicas: [] })) }]])
      }
  // The client hands over the key as it serialized it.
  const bytes = key === null ? undefined : Buffer.isBuffer(key) ? key : Buffer.from(key)
  return partitioner({ topic: 't', key, value: 'v' }, bytes, { metadata })
}

test('consistentPartition is CRC-32 of the key modulo the partition count', () => {
  // Published CRC-32 check values: "123456789" → 0xCBF43926, "abc" → 0x352441C2.
  assert.equal(consistentPartition(Buffer.from('123456789'), 7), 0xCBF43926 % 7)
  assert.equal(consistentPartition(Buffer.from('abc'), 7), 0x352441C2 % 7)
  assert.equal(consistentPartition(Buffer.from('abc'), 1), 0)
})

test('consistent_random: a string key and the same bytes as a Buffer go to one partition', () => {
  const partition = createPartitioner('consistent_random')
  const key = '{"page_id":42,"wiki":"enwiki"}'
  assert.equal(partitionOf(partition, key, [1, 1, 1, 1]), partitionOf(partition, Buffer.from(key), [1, 1, 1, 1]))
  assert.equal(partitionOf(partition, 'abc', [1, 1, 1, 1, 1]), 0x352441C2 % 5)
})

test('consistent_random: before the topic\'s metadata is known, the hash is left for the client to reduce', () => {
  // The client takes the partition modulo the partition count once it knows the count.
  assert.equal(partitionOf(createPartitioner('consistent_random'), 'abc', undefined) % 5, 0x352441C2 % 5)
  assert.equal(partitionOf(createPartitioner('murmur2_random'), 'foobar', undefined) % 5, 1)
})

test('consistent_random: no key or an empty key picks a partition that has a leader', () => {
  const partition = createPartitioner('consistent_random')
  const seen = new Set<number>()
  for (let i = 0; i < 200; i++) {
    seen.add(partitionOf(partition, null, [1, -1, 1, -1]))
    seen.add(partitionOf(partition, '', [1, -1, 1, -1]))
  }
  assert.deepEqual([...seen].sort(), [0, 2])
})

test('murmur2_random is the Java client\'s partitioner', () => {
  const partition = createPartitioner('murmur2_random')
  // org.apache.kafka.common.utils.Utils.murmur2, 5 partitions.
  assert.equal(partitionOf(partition, 'foobar', [1, 1, 1, 1, 1]), 1)
  assert.equal(partitionOf(partition, 'abc', [1, 1, 1, 1, 1]), 2)
})
