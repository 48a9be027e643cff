import { ConnectionPool, Consumer, type ClusterMetadata } from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import { kafkaConnectionOptions } from './client.js'
import type { KafkaSecurity } from './client.js'
import { KafkaUnavailableError, UnknownTopicError } from './errors.js'
import { createClusterProbe } from './health.js'
import { readerDefaults } from './options.js'
import { pause } from '../deadline.js'

// Group-less reading for the stream service: no consumer group and no commits, a client's
// position lives in its Last-Event-ID. A group's consumer cannot read like that, so this file
// uses @platformatic/kafka's raw Fetch and ListOffsets (see docs/kafka.md, "Reading streams").

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

export interface FollowSink {
  /**
   * Records in offset order within each partition, never a gap or a repeat. `live`: from the
   * shared tails, which wait for nobody, and which may hand over several partitions' records in
   * one call (all those fetched in one turn of the event loop); otherwise the records of one
   * partition from the follower's own catch-up reader, which a returned promise slows down.
   */
  deliver: (records: readonly StreamRecord[], live: boolean) => void | Promise<void>
  /** The follow failed for good; no more deliveries follow. */
  error: (err: Error) => void
}

export interface Follow { close: () => void }

export interface StreamReaderStats {
  /** Shared tail fetch loops running, per `topic/partition`. */
  tailLoops: Record<string, number>
  catchUpReaders: number
  followers: number
  fetches: number
  recordsRead: number
}

export interface StreamReader {
  /** Every partition of each topic; UnknownTopicError names the topics the cluster lacks, KafkaUnavailableError when it cannot be asked. */
  partitionsOf: (topics: readonly string[]) => Promise<TopicPartition[]>
  /** Which of `topics` exist (KafkaUnavailableError when the cluster cannot be asked). */
  existingTopics: (topics: readonly string[]) => Promise<string[]>
  /** The Kafka cluster's id: offsets are positions only in the cluster that assigned them. */
  clusterId: () => Promise<string>
  resolve: (positions: readonly PartitionPosition[]) => Promise<TopicPartitionOffset[]>
  follow: (from: readonly TopicPartitionOffset[], sink: FollowSink) => Follow
  isReady: () => boolean
  stats: () => StreamReaderStats
  close: () => Promise<void>
}

export interface StreamReaderOptions {
  brokers: readonly string[]
  clientId: string
  logger: Logger
  fetchMaxBytes?: number
  fetchMaxWaitMs?: number
  healthCheckIntervalMs?: number
  healthCheckTimeoutMs?: number
  /** TLS and SASL to the brokers (security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}

const LATEST = -1n
const EARLIEST = -2n
const OFFSET_OUT_OF_RANGE = 1

interface Tail {
  key: string
  nextOffset: number
  /** Each follower with the first offset it still needs (it may join while the tail is behind it). */
  sinks: Map<FollowSink, number>
  stopped: boolean
}

export function createStreamReader (options: StreamReaderOptions): StreamReader {
  const maxBytes = options.fetchMaxBytes ?? readerDefaults.fetchMaxBytes
  const maxWaitMs = options.fetchMaxWaitMs ?? readerDefaults.fetchMaxWaitMs
  const intervalMs = options.healthCheckIntervalMs ?? readerDefaults.healthCheckIntervalMs
  const timeoutMs = options.healthCheckTimeoutMs ?? readerDefaults.healthCheckTimeoutMs
  const logger = options.logger.child({ module: 'stream-reader' })
  const consumer = new Consumer({
    // Required by the client's constructor; the reader never joins or commits to it.
    groupId: `${options.clientId}-stream-reader`,
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    timeout: maxWaitMs + timeoutMs,
    retries: 0,
    autocommit: false,
    ...options.security?.clientOptions()
  })
  const poolOptions = kafkaConnectionOptions(options.security)
  // Readiness asks the cluster over connections of its own, kept open between probes.
  const clusterProbe = createClusterProbe({ brokers: options.brokers, clientId: options.clientId, timeoutMs, security: options.security, logger })
  let reachable: boolean | undefined
  const tails = new Map<string, Tail>()
  const counters = { fetches: 0, recordsRead: 0, catchUps: 0, followers: 0 }
  let closed = false
  let lastAnswer = 0
  const loops = new Set<Promise<void>>()
  const track = (loop: Promise<void>): void => {
    loops.add(loop)
    void loop.finally(() => loops.delete(loop))
  }

  async function metadata (topics: string[]): Promise<ClusterMetadata> {
    return await consumer.metadata({ topics, autocreateTopics: false })
  }

  /** Partition counts of the topics that exist; a broker that cannot be asked is not "no such topic". */
  async function partitionCounts (topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for (const topic of topics) {
      try {
        const info = (await metadata([topic])).topics.get(topic)
        if (info !== undefined) counts.set(topic, info.partitionsCount)
      } catch (err) {
        if (!isUnknownTopic(err)) throw new KafkaUnavailableError(`Kafka did not answer for topic ${topic}: ${(err as Error).message}`, err)
      }
    }
    return counts
  }

  async function partitionsOf (topics: readonly string[]): Promise<TopicPartition[]> {
    const counts = await partitionCounts(topics)
    const unknown = topics.filter((t) => !counts.has(t))
    if (unknown.length > 0) throw new UnknownTopicError(unknown)
    return topics.flatMap((topic) => Array.from({ length: counts.get(topic)! }, (_, partition) => ({ topic, partition })))
  }

  async function existingTopics (topics: readonly string[]): Promise<string[]> {
    const counts = await partitionCounts(topics)
    return topics.filter((t) => counts.has(t))
  }

  async function clusterId (): Promise<string> {
    try {
      return (await consumer.metadata({ topics: [] })).id
    } catch (err) {
      throw new KafkaUnavailableError(`Kafka did not answer: ${(err as Error).message}`, err)
    }
  }

  async function listOffset (topic: string, partition: number, timestamp: bigint): Promise<number> {
    const res = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp })
    const v = res.get(topic)?.[partition]
    return v === undefined ? -1 : Number(v)
  }

  async function resolve (positions: readonly PartitionPosition[]): Promise<TopicPartitionOffset[]> {
    return await Promise.all(positions.map(async (p) => {
      if (p.offset !== undefined) return { topic: p.topic, partition: p.partition, offset: p.offset }
      if (p.timestamp !== undefined) {
        const at = await listOffset(p.topic, p.partition, BigInt(p.timestamp))
        if (at >= 0) return { topic: p.topic, partition: p.partition, offset: at }
      }
      return { topic: p.topic, partition: p.partition, offset: await listOffset(p.topic, p.partition, LATEST) }
    }))
  }

  /** One Fetch of one partition from `offset`; out-of-range offsets are moved to the log start or end. */
  async function fetchOnce (pool: ConnectionPool, topic: string, partition: number, offset: number): Promise<{ records: StreamRecord[], next: number, end: number | undefined }> {
    const md = await metadata([topic]).catch((err: unknown) => {
      throw isUnknownTopic(err) ? new UnknownTopicError([topic]) : err
    })
    const info = md.topics.get(topic)
    const leader = info?.partitions[partition]?.leader
    if (info === undefined || leader === undefined) throw new UnknownTopicError([topic])
    counters.fetches++
    const res = await consumer.fetch({
      node: leader,
      connectionPool: pool,
      maxWaitTime: maxWaitMs,
      minBytes: 1,
      maxBytes,
      topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: BigInt(offset), currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: maxBytes }] }]
    }).catch((err: unknown) => err as Error)
    const part = res instanceof Error ? undefined : res.responses[0]?.partitions[0]
    // In an incremental fetch session the broker leaves out partitions with nothing new.
    if (part === undefined && !(res instanceof Error)) return { records: [], next: offset, end: undefined }
    if (part === undefined || part.errorCode === OFFSET_OUT_OF_RANGE) {
      const start = await listOffset(topic, partition, EARLIEST)
      const end = await listOffset(topic, partition, LATEST)
      const moved = offset < start ? start : offset > end ? end : offset
      if (moved === offset) throw (res instanceof Error ? res : new Error(`fetch ${topic}/${partition} failed with code ${part?.errorCode ?? '?'}`))
      return { records: [], next: moved, end }
    }
    if (part.errorCode !== 0) throw new Error(`fetch ${topic}/${partition} failed with code ${part.errorCode}`)
    const records: StreamRecord[] = []
    for (const batch of part.records ?? []) {
      for (const r of batch.records) {
        const o = Number(batch.firstOffset) + r.offsetDelta
        if (o < offset) continue
        const headers = new Map<string, Buffer>()
        for (const [k, v] of r.headers) if (k !== null && v !== null) headers.set(k.toString(), v)
        records.push({ topic, partition, offset: o, timestamp: Number(batch.firstTimestamp + r.timestampDelta), key: r.key, value: r.value, headers })
      }
    }
    counters.recordsRead += records.length
    const last = records.at(-1)
    return { records, next: last === undefined ? offset : last.offset + 1, end: Number(part.highWatermark) }
  }

  function safeDeliver (sink: FollowSink, records: StreamRecord[]): void {
    try {
      const p = sink.deliver(records, true)
      if (p instanceof Promise) p.catch((err: unknown) => { logger.warn({ err }, 'stream sink failed') })
    } catch (err) {
      logger.warn({ err }, 'stream sink failed')
    }
  }

  /**
   * What the tails fetched for each follower in this turn of the event loop, delivered together
   * once the turn is over: a busy reader handles several partitions' fetches in one turn, and one
   * delivery to each of many followers (one socket write each) instead of one per partition is
   * most of the cost of a fan-out.
   */
  const pendingLive = new Map<FollowSink, StreamRecord[]>()
  let liveQueued = false

  function flushLive (): void {
    liveQueued = false
    const due = [...pendingLive]
    pendingLive.clear()
    for (const [sink, records] of due) safeDeliver(sink, records)
  }

  function queueLive (sink: FollowSink, records: StreamRecord[]): void {
    const queued = pendingLive.get(sink)
    pendingLive.set(sink, queued === undefined ? records : queued.concat(records))
    if (liveQueued) return
    liveQueued = true
    setImmediate(flushLive)
  }

  function deliverToTail (tail: Tail, records: StreamRecord[]): void {
    for (const [sink, from] of [...tail.sinks]) {
      if (from <= records[0]!.offset) queueLive(sink, records)
      else {
        const rest = records.filter((r) => r.offset >= from)
        if (rest.length > 0) queueLive(sink, rest)
      }
      tail.sinks.set(sink, Math.max(from, records.at(-1)!.offset + 1))
    }
  }

  /**
   * Each fetch loop has its own connections: a broker answers one connection's requests in order,
   * so a long-polling tail would hold up a catch-up fetch, and the client's incremental fetch
   * session per broker cannot be shared by concurrent fetches.
   */
  function loopPool (): ConnectionPool {
    return new ConnectionPool(options.clientId, poolOptions)
  }

  async function runTail (tail: Tail, topic: string, partition: number): Promise<void> {
    const pool = loopPool()
    while (!tail.stopped && !closed && tail.sinks.size > 0) {
      try {
        const { records, next } = await fetchOnce(pool, topic, partition, tail.nextOffset)
        if (tail.stopped) break
        tail.nextOffset = next
        if (records.length > 0) deliverToTail(tail, records)
      } catch (err) {
        if (tail.stopped || closed) break
        if (err instanceof UnknownTopicError) {
          // The topic was deleted: no follower can go on, and each is told why.
          for (const sink of [...tail.sinks.keys()]) sink.error(err)
          tail.sinks.clear()
          break
        }
        logger.warn({ err, topic, partition }, 'stream tail fetch failed; retrying')
        await pause(maxWaitMs, { unref: true })
      }
    }
    tail.stopped = true
    if (tails.get(tail.key) === tail) tails.delete(tail.key)
    await pool.close().catch(() => {})
  }

  /**
   * Joins the shared tail when this follower is at or past it (the tail skips what the follower
   * already has), or starts the tail when there is none and the follower reached the log end.
   */
  function joinTail (topic: string, partition: number, offset: number, end: number | undefined, sink: FollowSink): Tail | undefined {
    const key = `${topic}/${partition}`
    const tail = tails.get(key)
    if (tail === undefined) {
      if (end === undefined || offset < end) return undefined
      const started: Tail = { key, nextOffset: offset, sinks: new Map([[sink, offset]]), stopped: false }
      tails.set(key, started)
      track(runTail(started, topic, partition))
      return started
    }
    if (tail.nextOffset > offset) return undefined
    // Ahead of the tail only at a position the log has (a fetch clamped it): an offset past the
    // end would make the tail skip every record until it got there.
    if (offset > tail.nextOffset && (end === undefined || offset > end)) return undefined
    tail.sinks.set(sink, offset)
    return tail
  }

  function followPartition (topic: string, partition: number, start: number, sink: FollowSink, isClosed: () => boolean): () => void {
    let joined: Tail | undefined
    const leave = (): void => { joined?.sinks.delete(sink) }
    track((async () => {
      let offset = start
      let end: number | undefined
      const pool = loopPool()
      counters.catchUps++
      try {
        let prefetched: ReturnType<typeof fetchOnce> | undefined
        while (!isClosed() && !closed) {
          joined = joinTail(topic, partition, offset, end, sink)
          // Joining drops a prefetched batch: the tail delivers from the follower's offset on.
          if (joined !== undefined) return
          let fetched
          try {
            fetched = await (prefetched ?? fetchOnce(pool, topic, partition, offset))
          } catch (err) {
            prefetched = undefined
            if (err instanceof UnknownTopicError) throw err
            if (isClosed() || closed) return
            logger.warn({ err, topic, partition }, 'stream catch-up fetch failed; retrying')
            await pause(maxWaitMs, { unref: true })
            continue
          }
          prefetched = undefined
          if (isClosed()) return
          offset = fetched.next
          end = fetched.end ?? end
          // History left to read: the next fetch runs while this batch goes to the client.
          if (end !== undefined && offset < end) {
            prefetched = fetchOnce(pool, topic, partition, offset)
            prefetched.catch(() => {})
          }
          if (fetched.records.length > 0) await sink.deliver(fetched.records, false)
        }
      } catch (err) {
        if (!isClosed()) sink.error(err as Error)
      } finally {
        counters.catchUps--
        await pool.close().catch(() => {})
      }
    })())
    return leave
  }

  function follow (from: readonly TopicPartitionOffset[], sink: FollowSink): Follow {
    let isClosed = false
    counters.followers++
    const leaves = from.map((f) => followPartition(f.topic, f.partition, f.offset, sink, () => isClosed))
    return {
      close () {
        if (isClosed) return
        isClosed = true
        counters.followers--
        for (const leave of leaves) leave()
        pendingLive.delete(sink)
      }
    }
  }

  async function probe (): Promise<void> {
    try {
      await clusterProbe.check()
      lastAnswer = Date.now()
      if (reachable !== true) logger.info({ brokers: options.brokers }, 'connected to Kafka')
      reachable = true
    } catch (err) {
      // isReady() turns false once the last answer is older than an interval and a timeout.
      if (reachable !== false && !closed) logger.warn({ err, brokers: options.brokers }, 'Kafka not reachable')
      reachable = false
    }
  }
  void probe()
  const healthTimer = setInterval(() => { void probe() }, intervalMs)
  healthTimer.unref()

  return {
    partitionsOf,
    existingTopics,
    clusterId,
    resolve,
    follow,
    isReady: () => lastAnswer > 0 && Date.now() - lastAnswer <= intervalMs + timeoutMs,
    stats: () => ({
      tailLoops: Object.fromEntries([...tails.keys()].map((k) => [k, 1])),
      catchUpReaders: counters.catchUps,
      followers: counters.followers,
      fetches: counters.fetches,
      recordsRead: counters.recordsRead
    }),
    async close () {
      closed = true
      clearInterval(healthTimer)
      for (const tail of tails.values()) { tail.stopped = true; tail.sinks.clear() }
      tails.clear()
      pendingLive.clear()
      // A loop ends within one fetch wait once it sees `closed`; its connections close with it.
      await Promise.allSettled([...loops])
      await clusterProbe.close()
      await consumer.close(true)
    }
  }
}

/** @platformatic/kafka answers a metadata request for a missing topic with this user error. */
function isUnknownTopic (err: unknown): boolean {
  return err instanceof Error && (err as Error & { code?: string }).code === 'PLT_KFK_USER' && /unknown topic/i.test(err.message)
}
