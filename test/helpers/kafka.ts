import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { Kafka, logLevel } from 'kafkajs'
import type { Admin, Consumer, IHeaders } from 'kafkajs'
import { createTopics } from '../../src/kafka/index.js'

/** A message as read back from a topic, decoded as UTF-8. */
export interface ReadMessage {
  key: string | null
  value: string
  /** Milliseconds since the epoch, as a decimal string (as kafkajs gives it). */
  timestamp: string
  partition: number
  offset: string
  headers: Record<string, string>
}

export interface TestMessage {
  key?: string | null
  value: string | Buffer
  partition?: number
  timestamp?: number
  headers?: Record<string, string>
}

/**
 * The bootstrap addresses of the test broker (`npm test` starts one and sets
 * KAFKA_BROKERS). Throws without it: a Kafka test must fail, not pass unseen.
 */
export function requireBrokers (): string[] {
  const raw = process.env.KAFKA_BROKERS ?? ''
  const brokers = raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
  if (brokers.length === 0) {
    throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test`, or start a broker (`sluice kafka start`) and export KAFKA_BROKERS=127.0.0.1:9092')
  }
  return brokers
}

/**
 * Where a test puts temporary files: inside the test run's directory when run by
 * `npm test` (removed afterwards, and local brokers found there are stopped even
 * if the test was killed), else the system temp dir.
 */
export function testTmpDir (): string {
  return process.env.SLUICE_TEST_TMPDIR ?? tmpdir()
}

/**
 * The Kafka release of the test run's broker (`npm test` sets KAFKA_VERSION), for tests that
 * start brokers of their own: they run the same release. Undefined means the default.
 */
export function testKafkaVersion (): string | undefined {
  const version = process.env.KAFKA_VERSION
  return version === undefined || version === '' ? undefined : version
}

/** A topic name no other test uses. */
export function uniqueTopic (prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`
}

export function uniqueGroupId (prefix = 'test-group'): string {
  return `${prefix}-${randomUUID()}`
}

export async function createTopic (name: string, partitions = 1): Promise<void> {
  await createTopics(requireBrokers(), [{ name, partitions }])
}

function testKafka (brokers: readonly string[] = requireBrokers()): Kafka {
  return new Kafka({
    clientId: `test-${randomUUID()}`,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 }
  })
}

/** Produces with a plain kafkajs producer (acks = all), to the test broker unless `brokers` is given. */
export async function produceMessages (topic: string, messages: readonly TestMessage[], options: { brokers?: readonly string[] } = {}): Promise<void> {
  const producer = testKafka(options.brokers).producer()
  await producer.connect()
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key ?? null,
        value: message.value,
        ...(message.partition === undefined ? {} : { partition: message.partition }),
        ...(message.timestamp === undefined ? {} : { timestamp: String(message.timestamp) }),
        ...(message.headers === undefined ? {} : { headers: message.headers })
      }))
    })
  } finally {
    await producer.disconnect()
  }
}

/**
 * Reads `topic` from the beginning with a throwaway consumer group and resolves
 * as soon as `count` messages arrived (in arrival order; ordered per partition).
 * Rejects after `timeoutMs` (default 15000), saying what did arrive. Reads the test
 * broker unless `brokers` is given.
 */
export async function readMessages (topic: string, count: number, options: { timeoutMs?: number, brokers?: readonly string[] } = {}): Promise<ReadMessage[]> {
  const timeoutMs = options.timeoutMs ?? 15000
  const consumer = testKafka(options.brokers).consumer({ groupId: uniqueGroupId('test-read'), sessionTimeout: 10000, maxWaitTimeInMs: 100 })
  const received: ReadMessage[] = []
  const seen = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await subscribe(consumer, topic, Date.now() + timeoutMs)
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`readMessages(${topic}): ${received.length} of ${count} message(s) within ${timeoutMs} ms: ${JSON.stringify(received, null, 1).slice(0, 4000)}`))
      }, timeoutMs)
      if (count === 0) resolve()
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (received.length >= count) return
          // Nothing is committed, so a rebalance of the throwaway group (the broker may
          // rebalance right after the first join) delivers a partition again from the start:
          // a record read twice must not count twice, nor push out one not read yet.
          const id = `${partition}:${message.offset}`
          if (seen.has(id)) return
          seen.add(id)
          received.push({
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? '' : message.value.toString('utf8'),
            timestamp: message.timestamp,
            partition,
            offset: message.offset,
            headers: decodeHeaders(message.headers)
          })
          if (received.length >= count) resolve()
        }
      }).catch(reject)
    })
    return received
  } finally {
    clearTimeout(timer)
    await consumer.disconnect().catch(() => undefined)
  }
}

/**
 * A topic that is being auto-created (by this metadata request or a producer's)
 * answers UNKNOWN_TOPIC_OR_PARTITION for a moment, and kafkajs does not retry
 * that on subscribe.
 */
async function subscribe (consumer: Consumer, topic: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      return
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable !== true || Date.now() >= deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function decodeHeaders (headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) result[name] = first.toString()
  }
  return result
}

/** Runs `work` with a connected kafkajs admin of the test broker (or `brokers`). */
async function withTestAdmin<T> (work: (admin: Admin) => Promise<T>, brokers?: readonly string[]): Promise<T> {
  const admin = testKafka(brokers).admin()
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.disconnect()
  }
}

/** Deletes a topic on the test broker (a stream whose topic disappears mid-stream). */
export async function deleteTopic (name: string): Promise<void> {
  await withTestAdmin(async (admin) => { await admin.deleteTopics({ topics: [name], timeout: 10000 }) })
}

/** The consumer groups the test broker knows. */
export async function listGroupIds (): Promise<string[]> {
  return withTestAdmin(async (admin) => (await admin.listGroups()).groups.map((g) => g.groupId))
}

/** The offsets a consumer group committed for a topic, by partition ('-1': none), on the test broker unless `brokers` is given. */
export async function committedOffsets (groupId: string, topic: string, options: { brokers?: readonly string[] } = {}): Promise<Record<number, string>> {
  return withTestAdmin(async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]))
  }, options.brokers)
}
