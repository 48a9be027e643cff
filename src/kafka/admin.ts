import type { Admin } from 'kafkajs'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { createKafkaClient } from './client.js'
import { KafkaAdminError } from './errors.js'

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
  await withAdmin(brokers, options, timeoutMs, 'create topics', async (admin) => {
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

async function withAdmin<T> (
  brokers: readonly string[],
  options: Omit<AdminOptions, 'timeoutMs'>,
  timeoutMs: number,
  what: string,
  work: (admin: Admin) => Promise<T>
): Promise<T> {
  const kafka = createKafkaClient({
    brokers,
    clientId: options.clientId ?? 'sluice-admin',
    connectionTimeoutMs: Math.min(timeoutMs, 3000),
    requestTimeoutMs: timeoutMs,
    // One-shot calls: the caller decides whether to try again.
    retries: 0,
    logger: options.logger ?? createLogger({ level: 'silent', name: 'sluice' })
  })
  const admin = kafka.admin({ retry: { retries: 0 } })
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
    throw new KafkaAdminError(`Kafka admin request (${what}) failed: ${(err as Error).message}`, err)
  } finally {
    clearTimeout(timer)
    await admin.disconnect().catch(() => undefined)
  }
}
