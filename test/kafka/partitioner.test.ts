import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PartitionerArgs } from 'kafkajs'
import { consistentPartition, createPartitioner } from '../../src/kafka/partitioner.js'

function args (key: string | Buffer | null, leaders: number[]): PartitionerArgs {
  return {
    topic: 't',
    partitionMetadata: leaders.map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [], isr: [] })),
    message: { key, value: 'v' }
  }
}

test('consistentPartition is CRC-32 of the key modulo the partition count', () => {
  // Published CRC-32 check values: "123456789" → 0xCBF43926, "abc" → 0x352441C2.
  assert.equal(consistentPartition(Buffer.from('123456789'), 7), 0xCBF43926 % 7)
  assert.equal(consistentPartition(Buffer.from('abc'), 7), 0x352441C2 % 7)
  assert.equal(consistentPartition(Buffer.from('abc'), 1), 0)
})

test('consistent_random: a string key and the same bytes as a Buffer go to one partition', () => {
  const partition = createPartitioner('consistent_random')()
  const key = '{"page_id":42,"wiki":"enwiki"}'
  assert.equal(partition(args(key, [1, 1, 1, 1])), partition(args(Buffer.from(key), [1, 1, 1, 1])))
  assert.equal(partition(args('abc', [1, 1, 1, 1, 1])), 0x352441C2 % 5)
})

test('consistent_random: no key or an empty key picks a partition that has a leader', () => {
  const partition = createPartitioner('consistent_random')()
  const seen = new Set<number>()
  for (let i = 0; i < 200; i++) {
    seen.add(partition(args(null, [1, -1, 1, -1])))
    seen.add(partition(args('', [1, -1, 1, -1])))
  }
  assert.deepEqual([...seen].sort(), [0, 2])
})

test('murmur2_random is kafkajs\'s Java-compatible partitioner', () => {
  const partition = createPartitioner('murmur2_random')()
  // org.apache.kafka.common.utils.Utils.murmur2, 5 partitions.
  assert.equal(partition(args('foobar', [1, 1, 1, 1, 1])), 1)
  assert.equal(partition(args('abc', [1, 1, 1, 1, 1])), 2)
})
