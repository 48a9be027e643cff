import { randomUUID } from 'node:crypto'
import { Admin, Consumer, ListOffsetTimestamps } from '@platformatic/kafka'
import type { Message } from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import { decodeHeaders, kafkaClientOptions } from './client.js'
import type { KafkaSecurity } from './client.js'
import { KafkaAdminError, protocolErrorOf } from './errors.js'
import { adminDefaults, clientDefaults } from './options.js'
import { messageOf } from '../errors.js'
import { consumeStream } from './consumer/session.js'
import { deadlineIn, pause, withDeadline } from '../deadline.js'

export interface TopicSpec {
  name: string
  partitions: number
  /** Defaults to the broker's `default.replication.factor`. */
  replicationFactor?: number
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>
}

export interface TopicPartitionOffsets {
  partition: number
  /** The first offset still in the log. */
  low: string
  /** The offset the next record will get (the log end offset). */
  high: string
}

export interface AdminOptions {
  logger?: Logger
  clientId?: string
  /** Upper bound for the whole call, connection included. Default: options.ts. */
  timeoutMs?: number
  /** TLS and SASL (security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}


/**
 * Creates the topics that do not exist yet and waits until they have leaders.
 * Existing topics are left alone (their partition count is not changed).
 */
export async function createTopics (brokers: readonly string[], topics: readonly TopicSpec[], options: AdminOptions = {}): Promise<void> {
  if (topics.length === 0) return
  const timeoutMs = options.timeoutMs ?? adminDefaults.timeoutMs
  const deadline = Date.now() + timeoutMs
  await withAdmin(brokers, options, timeoutMs, 'create topics', async (admin) => {
    const existing = new Set(await admin.listTopics())
    const created: string[] = []
    for (const topic of topics) {
      if (existing.has(topic.name)) continue
      try {
        // One request per topic: a request's configs apply to all of its topics.
        await admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: topic.replicationFactor ?? -1,
          configs: Object.entries(topic.config ?? {}).map(([name, value]) => ({ name, value }))
        })
        created.push(topic.name)
      } catch (err) {
        // Created by someone else meanwhile: left alone, like any existing topic.
        if (protocolErrorOf(err, (name) => name === 'TOPIC_ALREADY_EXISTS') === undefined) throw err
      }
    }
    if (created.length === 0) return
    // Metadata names a partition's leader before that broker serves it, and a produce in that
    // moment is refused for some partitions (NOT_LEADER_OR_FOLLOWER) and retried whole,
    // writing the others twice. So the wait is over once every leader answers ListOffsets.
    for (let delay: number = adminDefaults.leaderPollInitialMs; ; delay = Math.min(delay * 2, adminDefaults.leaderPollMaxMs)) {
      try {
        const metadata = await admin.metadata({ topics: [...created], forceUpdate: true })
        const leaderless = created.filter((name) => metadata.topics.get(name)?.partitions.some((p) => p.leader < 0) ?? true)
        if (leaderless.length > 0) throw new Error(`no leader yet for ${leaderless.join(', ')}`)
        for (const name of created) {
          await listOffsets(admin, name, Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, partition) => partition), ListOffsetTimestamps.LATEST)
        }
        return
      } catch (err) {
        if (Date.now() + delay > deadline) throw err
      }
      await pause(delay)
    }
  })
}

/** Low and high watermarks of every partition of `topic`, ordered by partition. */
export async function fetchTopicOffsets (brokers: readonly string[], topic: string, options: AdminOptions = {}): Promise<TopicPartitionOffsets[]> {
  const timeoutMs = options.timeoutMs ?? adminDefaults.timeoutMs
  return withAdmin(brokers, options, timeoutMs, `fetch offsets of ${topic}`, async (admin) => {
    const partitions = await partitionsOf(admin, topic)
    const [low, high] = await Promise.all([listOffsets(admin, topic, partitions, ListOffsetTimestamps.EARLIEST), listOffsets(admin, topic, partitions, ListOffsetTimestamps.LATEST)])
    return partitions.map((partition) => ({ partition, low: String(low.get(partition) ?? 0n), high: String(high.get(partition) ?? 0n) }))
  })
}

/** What `advanceGroupOffsets` did: partitions moved forward, or nothing because the group has members. */
export type AdvanceResult = { moved: number } | { skipped: 'group_active' }

/**
 * Moves a consumer group's position in `topics` forward to the first record at or after
 * `timestamp` wherever its committed offset is older (or there is none); positions past it are
 * kept. Kafka accepts this only while the group has no members: then it answers
 * `{skipped: 'group_active'}`, and the members' positions stand.
 */
export async function advanceGroupOffsets (brokers: readonly string[], groupId: string, topics: readonly string[], timestamp: number, options: AdminOptions = {}): Promise<AdvanceResult> {
  const timeoutMs = options.timeoutMs ?? adminDefaults.timeoutMs
  return withAdmin(brokers, options, timeoutMs, `advance ${groupId}`, async (admin) => {
    const description = (await admin.describeGroups({ groups: [groupId] })).get(groupId)
    if ((description?.members.size ?? 0) > 0) return { skipped: 'group_active' as const }
    const partitionsByTopic = new Map<string, number[]>()
    for (const topic of topics) partitionsByTopic.set(topic, await partitionsOf(admin, topic))
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [...partitionsByTopic].map(([name, partitions]) => ({ name, partitionIndexes: partitions })) }]
    })
    let moved = 0
    for (const [topic, partitions] of partitionsByTopic) {
      const committed = new Map((group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset]))
      const atTime = await listOffsets(admin, topic, partitions, BigInt(timestamp))
      // No record at or after the time: the log end, as the next record will be.
      const missing = partitions.filter((partition) => (atTime.get(partition) ?? -1n) < 0n)
      const ends = missing.length === 0 ? new Map<number, bigint>() : await listOffsets(admin, topic, missing, ListOffsetTimestamps.LATEST)
      const forward = partitions
        .map((partition) => ({ partition, target: (atTime.get(partition) ?? -1n) >= 0n ? atTime.get(partition) as bigint : ends.get(partition) ?? -1n, current: committed.get(partition) ?? -1n }))
        .filter((p) => p.target >= 0n && p.current < p.target)
        .map((p) => ({ partition: p.partition, offset: p.target }))
      if (forward.length === 0) continue
      await admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: topic, partitionOffsets: forward }] })
      moved += forward.length
    }
    return { moved }
  // A group new to the cluster has no coordinator for a moment: the client asks again.
  }, 5)
}

/**
 * Whether a broker answers a Metadata request within `timeoutMs`. Never throws;
 * meant for readiness checks and for waiting on a broker that is starting.
 */
export async function probeKafka (brokers: readonly string[], timeoutMs: number, options: Omit<AdminOptions, 'timeoutMs'> = {}): Promise<boolean> {
  try {
    return await withAdmin(brokers, options, timeoutMs, 'probe', async (admin) => {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true })
      return metadata.brokers.size > 0
    })
  } catch {
    return false
  }
}

/** A record as `tailTopic` hands it over: key, value and headers decoded as UTF-8. */
export interface TailedMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: string
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string
  headers: Record<string, string>
}

export interface TailOptions {
  /** Start at the oldest record instead of only new ones. */
  fromBeginning?: boolean
  /** Stop after this many records. */
  max?: number
  /** Stop when aborted. */
  signal?: AbortSignal
  onMessage: (message: TailedMessage) => void
  logger?: Logger
  /** TLS and SASL (security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}

/**
 * Reads a topic for people (`sluice kafka tail`): a throwaway consumer group
 * that commits nothing. Resolves with the number of records seen once `max`
 * is reached or `signal` aborts. A missing topic is an error, not created.
 */
export async function tailTopic (brokers: readonly string[], topic: string, options: TailOptions): Promise<number> {
  const consumer = new Consumer({
    ...kafkaClientOptions({ brokers, clientId: adminDefaults.tailClientId, retries: adminDefaults.tailRetries, security: options.security }),
    groupId: `sluice-tail-${randomUUID()}`,
    maxWaitTime: adminDefaults.tailMaxWaitTimeMs,
    autocommit: false
  })
  let seen = 0
  try {
    // A missing topic is refused here rather than waited for.
    await consumer.metadata({ topics: [topic] })
    if (options.max === 0 || options.signal?.aborted === true) return 0
    // A failure before the reading promise below exists is kept and answered by it.
    let failed: Error | undefined
    let fail = (err: Error): void => { failed ??= err }
    const stream = await consumeStream(consumer, { topics: [topic], mode: 'committed', fallbackMode: options.fromBeginning === true ? 'earliest' : 'latest', autocommit: false }, (err) => { fail(err) })
    await new Promise<void>((resolve, reject) => {
      if (failed !== undefined) { reject(failed); return }
      fail = reject
      options.signal?.addEventListener('abort', () => { resolve() }, { once: true })
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
        if (options.max !== undefined && seen >= options.max) return
        seen++
        options.onMessage({
          topic,
          partition: message.partition,
          offset: message.offset.toString(),
          key: message.key === undefined || message.key === null ? null : message.key.toString('utf8'),
          value: message.value === undefined || message.value === null ? '' : message.value.toString('utf8'),
          timestamp: message.timestamp.toString(),
          headers: decodeHeaders(message.headers)
        })
        if (options.max !== undefined && seen >= options.max) resolve()
      })
    })
    return seen
  } catch (err) {
    throw new KafkaAdminError(`Cannot read topic ${topic}: ${messageOf(err)}`, err)
  } finally {
    await consumer.close(true).catch(() => undefined)
  }
}

/** Names of the topics on the cluster (internal ones excluded). */
export async function listTopics (brokers: readonly string[], options: { clientId: string, logger: Logger, security?: KafkaSecurity }): Promise<string[]> {
  const admin = new Admin(kafkaClientOptions({ brokers, clientId: options.clientId, security: options.security }))
  try {
    return (await admin.listTopics()).filter((name) => !name.startsWith('__')).sort()
  } finally {
    await admin.close().catch(() => undefined)
  }
}

/** The partition numbers of `topic`, in order. */
async function partitionsOf (admin: Admin, topic: string): Promise<number[]> {
  const metadata = await admin.metadata({ topics: [topic] })
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0
  return Array.from({ length: count }, (_, partition) => partition)
}

/** The offset ListOffsets answers for `timestamp` (or the log end or start: ListOffsetTimestamps), per partition. */
async function listOffsets (admin: Admin, topic: string, partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
  const answer = await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] })
  return new Map((answer.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]))
}

async function withAdmin<T> (
  brokers: readonly string[],
  options: Omit<AdminOptions, 'timeoutMs'>,
  timeoutMs: number,
  what: string,
  work: (admin: Admin) => Promise<T>,
  retries = 0
): Promise<T> {
  const admin = new Admin(kafkaClientOptions({
    brokers,
    clientId: options.clientId ?? adminDefaults.clientId,
    connectionTimeoutMs: Math.min(timeoutMs, clientDefaults.connectTimeoutMs),
    requestTimeoutMs: timeoutMs,
    // One-shot calls unless asked otherwise: the caller decides whether to try again.
    retries,
    retryDelayMs: (attempt) => Math.min(adminDefaults.retryInitialMs * 2 ** (attempt - 1), adminDefaults.retryMaxMs),
    security: options.security
  }))
  try {
    return await withDeadline(work(admin), deadlineIn(timeoutMs), () => new KafkaAdminError(`Kafka admin request (${what}) did not finish within ${timeoutMs} ms`))
  } catch (err) {
    if (err instanceof KafkaAdminError) throw err
    throw new KafkaAdminError(`Kafka admin request (${what}) failed: ${messageOf(err)}`, err)
  } finally {
    await admin.close().catch(() => undefined)
  }
}
