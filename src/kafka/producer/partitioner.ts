import { crc32 } from 'node:zlib'
import { murmur2 } from '@platformatic/kafka'
import type { MessageToProduce, PartitionerContext } from '@platformatic/kafka'
import type { PartitionerName } from '../options.js'

// How keyed records are spread over partitions, named as librdkafka names its partitioners:
//
// - `consistent_random`: CRC-32 of the key modulo the partition count, a random partition for
//   records without a key. librdkafka's default, so EventGate and change-propagation (both on
//   node-rdkafka) put a key where this does: a stream can move to Sluice without reordering.
//   Sluice's default (options.ts).
// - `murmur2_random`: murmur2 of the key, as the Java client does; a random partition without a key.

/**
 * Picks a record's partition from its serialized key. When the topic's metadata is not known
 * yet, the client takes the returned number modulo the partition count once it is, so a hash
 * is returned as it is.
 */
export type RecordPartitioner = (message: MessageToProduce<unknown, unknown, unknown, unknown>, key: Buffer | undefined, context: PartitionerContext) => number

/** Which partition librdkafka's `consistent` partitioner gives a non-empty key. */
export function consistentPartition (key: Buffer, partitionCount: number): number {
  return crc32(key) % partitionCount
}

/** The Java client's `Utils.toPositive(Utils.murmur2(key))`. */
function javaMurmur2 (key: Buffer): number {
  return murmur2(key) & 0x7fffffff
}

function partitionerOf (hash: (key: Buffer) => number, emptyKeyIsNoKey: boolean): RecordPartitioner {
  return (message, key, context) => {
    const partitions = context.metadata?.topics.get(message.topic)?.partitions
    if (key !== undefined && (key.length > 0 || !emptyKeyIsNoKey)) {
      const value = hash(key)
      return partitions === undefined || partitions.length === 0 ? value : value % partitions.length
    }
    // Without a key: any partition that has a leader.
    if (partitions === undefined || partitions.length === 0) return Math.floor(Math.random() * 0x7fffffff)
    let leaders = 0
    for (const partition of partitions) if (partition.leader >= 0) leaders++
    if (leaders === 0) return Math.floor(Math.random() * partitions.length)
    let pick = Math.floor(Math.random() * leaders)
    for (let index = 0; index < partitions.length; index++) {
      if ((partitions[index]?.leader ?? -1) < 0) continue
      if (pick === 0) return index
      pick--
    }
    return 0
  }
}

export function createPartitioner (name: PartitionerName): RecordPartitioner {
  // librdkafka treats an empty key like no key; the Java client hashes it.
  return name === 'consistent_random' ? partitionerOf(crc32, true) : partitionerOf(javaMurmur2, false)
}
