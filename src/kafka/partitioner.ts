import { crc32 } from 'node:zlib'
import { Partitioners } from 'kafkajs'
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs'

/**
 * How keyed records are spread over partitions, named as librdkafka names its partitioners:
 *
 * - `consistent_random`: CRC-32 of the key modulo the partition count, a random partition for
 *   records without a key. librdkafka's default, so EventGate and change-propagation (both on
 *   node-rdkafka) put a key where this does: a stream can move to Sluice without reordering.
 * - `murmur2_random`: murmur2 of the key, as the Java client (and kafkajs) does.
 */
export type PartitionerName = 'consistent_random' | 'murmur2_random'

export const partitionerNames: readonly PartitionerName[] = ['consistent_random', 'murmur2_random']

/** Which partition librdkafka's `consistent` partitioner gives a non-empty key. */
export function consistentPartition (key: Buffer, partitionCount: number): number {
  return crc32(key) % partitionCount
}

const consistentRandom: ICustomPartitioner = () => ({ partitionMetadata, message }: PartitionerArgs): number => {
  const key = message.key === null || message.key === undefined
    ? undefined
    : Buffer.isBuffer(message.key) ? message.key : Buffer.from(message.key)
  // librdkafka treats an empty key like no key.
  if (key !== undefined && key.length > 0) return consistentPartition(key, partitionMetadata.length)
  // Without a key: any partition that has a leader, as kafkajs does.
  const available = partitionMetadata.filter((p) => p.leader >= 0)
  const pool = available.length > 0 ? available : partitionMetadata
  return pool[Math.floor(Math.random() * pool.length)]?.partitionId ?? 0
}

export function createPartitioner (name: PartitionerName): ICustomPartitioner {
  return name === 'consistent_random' ? consistentRandom : Partitioners.DefaultPartitioner
}
