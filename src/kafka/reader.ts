import { ConnectionPool, Consumer, ListOffsetTimestamps, type ClusterMetadata } from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import { kafkaConnectionOptions } from './client.js'
import type { KafkaSecurity } from './client.js'
import { KafkaUnavailableError, UnknownTopicError } from './errors.js'
import { createClusterProbe } from './health.js'
import { readerDefaults } from './options.js'

// Group-less reading for the stream service: no consumer group and no commits, a client's
// position lives in its Last-Event-ID. A group's consumer cannot read like that, so this file
// uses @platformatic/kafka's raw Fetch and ListOffsets (see docs/kafka.md, "Reading streams").
// It only reads: who gets which records (the shared tails, the catch-up readers) is the stream
// service's (src/streams/tails.ts).

export interface PartitionPosition {
  topic: string
  partition: number
  /** Read from this offset (inclusive). */
  offset?: number
  /** Read from the first record whose timestamp >= this (ms); when none, from the end. */
  timestamp?: number
}

export interface TopicPartition { topic: string, partition: number }
export interface TopicPartitionOffset extends TopicPartition { offset: number }

export interface StreamRecord {
  topic: string
  partition: number
  offset: number
  /** Record timestamp (ms) as stored in Kafka. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: ReadonlyMap<string, Buffer>
}

/** What one fetch read: its records, the offset to fetch next, and the log end when the broker said it. */
export interface FetchedRecords {
  records: StreamRecord[]
  next: number
  end: number | undefined
}

/**
 * Fetches of one partition at a time, over connections of its own: a broker answers one
 * connection's requests in order, so a long-polling fetch would hold up another one behind it,
 * and the client's incremental fetch session per broker cannot be shared by concurrent fetches.
 */
export interface PartitionFetcher {
  /** One Fetch from `offset`; out-of-range offsets are moved to the log start or end (no records then). */
  fetch: (topic: string, partition: number, offset: number) => Promise<FetchedRecords>
  close: () => Promise<void>
}

export interface KafkaReader {
  /** Every partition of each topic; UnknownTopicError names the topics the cluster lacks, KafkaUnavailableError when it cannot be asked. */
  partitionsOf: (topics: readonly string[]) => Promise<TopicPartition[]>
  /** Which of `topics` exist (KafkaUnavailableError when the cluster cannot be asked). */
  existingTopics: (topics: readonly string[]) => Promise<string[]>
  /** The Kafka cluster's id: offsets are positions only in the cluster that assigned them. */
  clusterId: () => Promise<string>
  resolve: (positions: readonly PartitionPosition[]) => Promise<TopicPartitionOffset[]>
  fetcher: () => PartitionFetcher
  /** A metadata request answered within the last health check interval and timeout. */
  isReady: () => boolean
  stats: () => { fetches: number, recordsRead: number }
  close: () => Promise<void>
}

export interface KafkaReaderOptions {
  brokers: readonly string[]
  clientId: string
  logger: Logger
  fetchMaxBytes?: number
  fetchMaxWaitMs?: number
  healthCheckIntervalMs?: number
  healthCheckTimeoutMs?: number
  /** TLS and SASL to the brokers (resolved by security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}

const OFFSET_OUT_OF_RANGE = 1

export function createKafkaReader (options: KafkaReaderOptions): KafkaReader {
  const fetchLimits = { maxBytes: options.fetchMaxBytes ?? readerDefaults.fetchMaxBytes, maxWaitMs: options.fetchMaxWaitMs ?? readerDefaults.fetchMaxWaitMs }
  const consumer = new Consumer({
    // Required by the client's constructor; the reader never joins or commits to it, so no
    // group of this name ever exists on the broker.
    groupId: `${options.clientId}-stream-reader`,
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    timeout: fetchLimits.maxWaitMs + (options.healthCheckTimeoutMs ?? readerDefaults.healthCheckTimeoutMs),
    retries: 0,
    autocommit: false,
    ...options.security?.clientOptions()
  })
  const poolOptions = kafkaConnectionOptions(options.security)
  const counters = { fetches: 0, recordsRead: 0 }
  const health = watchHealth(options)

  return {
    async partitionsOf (topics) {
      const counts = await partitionCounts(consumer, topics)
      const unknown = topics.filter((t) => !counts.has(t))
      if (unknown.length > 0) throw new UnknownTopicError(unknown)
      return topics.flatMap((topic) => Array.from({ length: counts.get(topic)! }, (_, partition) => ({ topic, partition })))
    },
    async existingTopics (topics) {
      const counts = await partitionCounts(consumer, topics)
      return topics.filter((t) => counts.has(t))
    },
    async clusterId () {
      try {
        return (await consumer.metadata({ topics: [] })).id
      } catch (err) {
        throw new KafkaUnavailableError(`Kafka did not answer: ${(err as Error).message}`, err)
      }
    },
    async resolve (positions) {
      return await Promise.all(positions.map(async (p) => {
        if (p.offset !== undefined) return { topic: p.topic, partition: p.partition, offset: p.offset }
        if (p.timestamp !== undefined) {
          const at = await listOffset(consumer, p.topic, p.partition, BigInt(p.timestamp))
          if (at >= 0) return { topic: p.topic, partition: p.partition, offset: at }
        }
        return { topic: p.topic, partition: p.partition, offset: await listOffset(consumer, p.topic, p.partition, ListOffsetTimestamps.LATEST) }
      }))
    },
    fetcher () {
      const pool = new ConnectionPool(options.clientId, poolOptions)
      return {
        fetch: async (topic, partition, offset) => {
          const fetched = await fetchPartition(consumer, pool, fetchLimits, { topic, partition, offset }, counters)
          counters.recordsRead += fetched.records.length
          return fetched
        },
        close: async () => { await pool.close().catch(() => {}) }
      }
    },
    isReady: health.isReady,
    stats: () => ({ ...counters }),
    async close () {
      await health.close()
      await consumer.close(true)
    }
  }
}

type ReaderClient = Consumer<Buffer, Buffer, Buffer, Buffer>

async function metadataOf (consumer: ReaderClient, topics: string[]): Promise<ClusterMetadata> {
  return consumer.metadata({ topics, autocreateTopics: false })
}

/** Partition counts of the topics that exist; a broker that cannot be asked is not "no such topic". */
async function partitionCounts (consumer: ReaderClient, topics: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const topic of topics) {
    try {
      const info = (await metadataOf(consumer, [topic])).topics.get(topic)
      if (info !== undefined) counts.set(topic, info.partitionsCount)
    } catch (err) {
      if (!isUnknownTopic(err)) throw new KafkaUnavailableError(`Kafka did not answer for topic ${topic}: ${(err as Error).message}`, err)
    }
  }
  return counts
}

async function listOffset (consumer: ReaderClient, topic: string, partition: number, timestamp: bigint): Promise<number> {
  const res = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp })
  const v = res.get(topic)?.[partition]
  return v === undefined ? -1 : Number(v)
}

/** One Fetch of one partition from `offset`; out-of-range offsets are moved to the log start or end. */
async function fetchPartition (consumer: ReaderClient, pool: ConnectionPool, limits: { maxBytes: number, maxWaitMs: number }, at: TopicPartitionOffset, counters: { fetches: number }): Promise<FetchedRecords> {
  const { topic, partition, offset } = at
  const md = await metadataOf(consumer, [topic]).catch((err: unknown) => {
    throw isUnknownTopic(err) ? new UnknownTopicError([topic]) : err
  })
  const info = md.topics.get(topic)
  const leader = info?.partitions[partition]?.leader
  if (info === undefined || leader === undefined) throw new UnknownTopicError([topic])
  counters.fetches++
  const res = await consumer.fetch({
    node: leader,
    connectionPool: pool,
    maxWaitTime: limits.maxWaitMs,
    minBytes: 1,
    maxBytes: limits.maxBytes,
    topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: BigInt(offset), currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: limits.maxBytes }] }]
  }).catch((err: unknown) => err as Error)
  const part = res instanceof Error ? undefined : res.responses[0]?.partitions[0]
  // In an incremental fetch session the broker leaves out partitions with nothing new.
  if (part === undefined && !(res instanceof Error)) return { records: [], next: offset, end: undefined }
  if (part === undefined || part.errorCode === OFFSET_OUT_OF_RANGE) {
    const start = await listOffset(consumer, topic, partition, ListOffsetTimestamps.EARLIEST)
    const end = await listOffset(consumer, topic, partition, ListOffsetTimestamps.LATEST)
    const moved = offset < start ? start : offset > end ? end : offset
    if (moved === offset) throw (res instanceof Error ? res : new Error(`fetch ${topic}/${partition} failed with code ${part?.errorCode ?? '?'}`))
    return { records: [], next: moved, end }
  }
  if (part.errorCode !== 0) throw new Error(`fetch ${topic}/${partition} failed with code ${part.errorCode}`)
  const records = recordsOf(topic, partition, offset, part.records ?? [])
  const last = records.at(-1)
  return { records, next: last === undefined ? offset : last.offset + 1, end: Number(part.highWatermark) }
}

/** The records of a fetched partition's batches from `offset` on (a batch may start before it). */
function recordsOf (topic: string, partition: number, offset: number, batches: ReadonlyArray<{ firstOffset: bigint, firstTimestamp: bigint, records: ReadonlyArray<{ offsetDelta: number, timestampDelta: bigint, key: Buffer | null, value: Buffer | null, headers: ReadonlyArray<[Buffer | null, Buffer | null]> }> }>): StreamRecord[] {
  const records: StreamRecord[] = []
  for (const batch of batches) {
    for (const r of batch.records) {
      const o = Number(batch.firstOffset) + r.offsetDelta
      if (o < offset) continue
      const headers = new Map<string, Buffer>()
      for (const [k, v] of r.headers) if (k !== null && v !== null) headers.set(k.toString(), v)
      records.push({ topic, partition, offset: o, timestamp: Number(batch.firstTimestamp + r.timestampDelta), key: r.key, value: r.value, headers })
    }
  }
  return records
}

/**
 * Readiness: the cluster asked every health check interval over connections of its own, kept
 * open between probes; ready while the last answer is younger than an interval and a timeout.
 */
function watchHealth (options: KafkaReaderOptions): { isReady: () => boolean, close: () => Promise<void> } {
  const intervalMs = options.healthCheckIntervalMs ?? readerDefaults.healthCheckIntervalMs
  const timeoutMs = options.healthCheckTimeoutMs ?? readerDefaults.healthCheckTimeoutMs
  const logger = options.logger.child({ module: 'stream-reader' })
  const probe = createClusterProbe({ brokers: options.brokers, clientId: options.clientId, timeoutMs, security: options.security, logger })
  const state = { reachable: undefined as boolean | undefined, lastAnswer: 0, closed: false }
  const ask = async (): Promise<void> => {
    try {
      await probe.check()
      state.lastAnswer = Date.now()
      if (state.reachable !== true) logger.info({ brokers: options.brokers }, 'connected to Kafka')
      state.reachable = true
    } catch (err) {
      // isReady() turns false once the last answer is older than an interval and a timeout.
      if (state.reachable !== false && !state.closed) logger.warn({ err, brokers: options.brokers }, 'Kafka not reachable')
      state.reachable = false
    }
  }
  void ask()
  const timer = setInterval(() => { void ask() }, intervalMs)
  timer.unref()
  return {
    isReady: () => state.lastAnswer > 0 && Date.now() - state.lastAnswer <= intervalMs + timeoutMs,
    async close () {
      state.closed = true
      clearInterval(timer)
      await probe.close()
    }
  }
}

/** @platformatic/kafka answers a metadata request for a missing topic with this user error. */
function isUnknownTopic (err: unknown): boolean {
  return err instanceof Error && (err as Error & { code?: string }).code === 'PLT_KFK_USER' && /unknown topic/i.test(err.message)
}
