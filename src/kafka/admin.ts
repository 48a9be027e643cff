import { randomUUID } from 'node:crypto'
import type { Admin, IHeaders } from 'kafkajs'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { createKafkaClient } from './client.js'
import { KafkaAdminError } from './errors.js'
import { messageOf } from '../errors.js'

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
  /** Upper bound for the whole call, connection included. Default 30000. */
  timeoutMs?: number
}

/**
 * Creates the topics that do not exist yet and waits until they have leaders.
 * Existing topics are left alone (their partition count is not changed).
 */
export async function createTopics (brokers: readonly string[], topics: readonly TopicSpec[], options: AdminOptions = {}): Promise<void> {
  if (topics.length === 0) return
  const timeoutMs = options.timeoutMs ?? 30000
  const deadline = Date.now() + timeoutMs
  await withAdmin(brokers, options, timeoutMs, 'create topics', async (admin) => {
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          timeout: timeoutMs,
          topics: topics.map((topic) => ({
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor: topic.replicationFactor ?? -1,
            configEntries: Object.entries(topic.config ?? {}).map(([name, value]) => ({ name, value }))
          }))
        })
        return
      } catch (err) {
        // Right after creating a topic, a broker may still answer UNKNOWN_TOPIC_OR_PARTITION to
        // the metadata request that waits for its leaders (seen on 3.9). Asking again is safe:
        // topics that exist by then are left alone.
        if ((err as { retriable?: unknown }).retriable !== true || Date.now() + delay > deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  })
}

/** Low and high watermarks of every partition of `topic`, ordered by partition. */
export async function fetchTopicOffsets (brokers: readonly string[], topic: string, options: AdminOptions = {}): Promise<TopicPartitionOffsets[]> {
  const timeoutMs = options.timeoutMs ?? 30000
  return withAdmin(brokers, options, timeoutMs, `fetch offsets of ${topic}`, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets
      .map((entry) => ({ partition: entry.partition, low: entry.low, high: entry.high }))
      .sort((a, b) => a.partition - b.partition)
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
  const timeoutMs = options.timeoutMs ?? 30000
  return withAdmin(brokers, options, timeoutMs, `advance ${groupId}`, async (admin) => {
    // Fills kafkajs's broker pool: describeGroups looks for the coordinator among known brokers only.
    await admin.describeCluster()
    const description = await admin.describeGroups([groupId])
    if ((description.groups[0]?.members.length ?? 0) > 0) return { skipped: 'group_active' as const }
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] })
    let moved = 0
    for (const { topic, partitions } of committed) {
      const atTime = new Map((await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => [p.partition, Number(p.offset)]))
      const forward = partitions
        .map((p) => ({ partition: p.partition, target: atTime.get(p.partition) ?? -1, current: Number(p.offset) }))
        .filter((p) => p.target >= 0 && p.current < p.target)
        .map((p) => ({ partition: p.partition, offset: String(p.target) }))
      if (forward.length === 0) continue
      await admin.setOffsets({ groupId, topic, partitions: forward })
      moved += forward.length
    }
    return { moved }
  // A group new to the cluster has no coordinator for a moment: kafkajs asks again.
  }, 5)
}

/**
 * Whether a broker answers a Metadata request within `timeoutMs`. Never throws;
 * meant for readiness checks and for waiting on a broker that is starting.
 */
export async function probeKafka (brokers: readonly string[], timeoutMs: number, options: Omit<AdminOptions, 'timeoutMs'> = {}): Promise<boolean> {
  try {
    return await withAdmin(brokers, options, timeoutMs, 'probe', async (admin) => {
      const cluster = await admin.describeCluster()
      return cluster.brokers.length > 0
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
}

/**
 * Reads a topic for people (`sluice kafka tail`): a throwaway consumer group
 * that commits nothing. Resolves with the number of records seen once `max`
 * is reached or `signal` aborts. A missing topic is an error, not created.
 */
export async function tailTopic (brokers: readonly string[], topic: string, options: TailOptions): Promise<number> {
  const kafka = createKafkaClient({
    brokers,
    clientId: 'sluice-tail',
    retries: 2,
    logger: options.logger ?? createLogger({ level: 'silent', name: 'sluice' })
  })
  const consumer = kafka.consumer({ groupId: `sluice-tail-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 })
  let seen = 0
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning === true })
    if (options.max === 0 || options.signal?.aborted === true) return 0
    await new Promise<void>((resolve, reject) => {
      options.signal?.addEventListener('abort', () => { resolve() }, { once: true })
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (options.max !== undefined && seen >= options.max) return
          seen++
          options.onMessage({
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? '' : message.value.toString('utf8'),
            timestamp: message.timestamp,
            headers: decodeHeaders(message.headers)
          })
          if (options.max !== undefined && seen >= options.max) resolve()
        }
      }).catch(reject)
    })
    return seen
  } catch (err) {
    throw new KafkaAdminError(`Cannot read topic ${topic}: ${messageOf(err)}`, err)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

function decodeHeaders (headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) result[name] = first.toString()
  }
  return result
}

async function withAdmin<T> (
  brokers: readonly string[],
  options: Omit<AdminOptions, 'timeoutMs'>,
  timeoutMs: number,
  what: string,
  work: (admin: Admin) => Promise<T>,
  retries = 0
): Promise<T> {
  const kafka = createKafkaClient({
    brokers,
    clientId: options.clientId ?? 'sluice-admin',
    connectionTimeoutMs: Math.min(timeoutMs, 3000),
    requestTimeoutMs: timeoutMs,
    // One-shot calls unless asked otherwise: the caller decides whether to try again.
    retries,
    logger: options.logger ?? createLogger({ level: 'silent', name: 'sluice' })
  })
  const admin = kafka.admin({ retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 } })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new KafkaAdminError(`Kafka admin request (${what}) did not finish within ${timeoutMs} ms`)) }, timeoutMs)
  })
  try {
    return await Promise.race([
      (async () => {
        await admin.connect()
        return work(admin)
      })(),
      deadline
    ])
  } catch (err) {
    if (err instanceof KafkaAdminError) throw err
    throw new KafkaAdminError(`Kafka admin request (${what}) failed: ${messageOf(err)}`, err)
  } finally {
    clearTimeout(timer)
    await admin.disconnect().catch(() => undefined)
  }
}
