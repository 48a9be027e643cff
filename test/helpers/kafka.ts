import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import type { Message, MessagesStream } from '@platformatic/kafka'
import { compressionCodecs, createTopics, kafkaClientOptions } from '../../src/kafka/index.js'
import type { CompressionCodec } from '../../src/kafka/index.js'

/** A message as read back from a topic, decoded as UTF-8. */
export interface ReadMessage {
  key: string | null
  value: string
  /** Milliseconds since the epoch, as a decimal string. */
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

function testClientOptions (brokers: readonly string[] = requireBrokers()): ReturnType<typeof kafkaClientOptions> {
  return kafkaClientOptions({ brokers, clientId: `test-${randomUUID()}`, retries: 5, retryDelayMs: 200 })
}

/** Produces with a plain @platformatic/kafka producer (acks = all), to the test broker unless `brokers` is given, in batches of `compression`. */
export async function produceMessages (topic: string, messages: readonly TestMessage[], options: { brokers?: readonly string[], compression?: CompressionCodec } = {}): Promise<void> {
  const producer = new Producer({ ...testClientOptions(options.brokers), autocreateTopics: true })
  try {
    await producer.send({
      acks: -1,
      ...(options.compression === undefined ? {} : { compression: options.compression }),
      messages: messages.map((message) => ({
        topic,
        key: message.key === undefined || message.key === null ? undefined : Buffer.from(message.key),
        value: Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value),
        ...(message.partition === undefined ? {} : { partition: message.partition }),
        ...(message.timestamp === undefined ? {} : { timestamp: BigInt(message.timestamp) }),
        ...(message.headers === undefined ? {} : { headers: new Map(Object.entries(message.headers).map(([name, value]) => [Buffer.from(name), Buffer.from(value)])) })
      }))
    })
  } finally {
    await producer.close()
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
  const deadline = Date.now() + timeoutMs
  const consumer = new Consumer({ ...testClientOptions(options.brokers), groupId: uniqueGroupId('test-read'), sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTime: 100, autocommit: false })
  const received: ReadMessage[] = []
  const seen = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  try {
    if (count === 0) return received
    const stream = await consume(consumer, topic, deadline)
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`readMessages(${topic}): ${received.length} of ${count} message(s) within ${timeoutMs} ms: ${JSON.stringify(received, null, 1).slice(0, 4000)}`))
      }, Math.max(0, deadline - Date.now()))
      stream.on('error', reject)
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
        if (received.length >= count) return
        // Nothing is committed, so a rebalance of the throwaway group (the broker may
        // rebalance right after the first join) delivers a partition again from the start:
        // a record read twice must not count twice, nor push out one not read yet.
        const id = `${message.partition}:${message.offset}`
        if (seen.has(id)) return
        seen.add(id)
        received.push({
          key: message.key === undefined || message.key === null ? null : message.key.toString('utf8'),
          value: message.value === undefined || message.value === null ? '' : message.value.toString('utf8'),
          timestamp: message.timestamp.toString(),
          partition: message.partition,
          offset: message.offset.toString(),
          headers: decodeHeaders(message.headers)
        })
        if (received.length >= count) resolve()
      })
    })
    return received
  } finally {
    clearTimeout(timer)
    await consumer.close(true).catch(() => undefined)
  }
}

/**
 * A topic that is being auto-created (by this metadata request or a producer's)
 * is unknown for a moment: joining the group is tried again until the deadline.
 */
async function consume (consumer: Consumer, topic: string, deadline: number): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
  for (;;) {
    try {
      return await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
    } catch (err) {
      if (Date.now() >= deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function decodeHeaders (headers: ReadonlyMap<Buffer, Buffer>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of headers) {
    const key = name.toString()
    if (!(key in result)) result[key] = value.toString()
  }
  return result
}

/** Runs `work` with an admin client of the test broker (or `brokers`). */
async function withTestAdmin<T> (work: (admin: Admin) => Promise<T>, brokers?: readonly string[]): Promise<T> {
  const admin = new Admin(testClientOptions(brokers))
  try {
    return await work(admin)
  } finally {
    await admin.close()
  }
}

/** Deletes a topic on the test broker (a stream whose topic disappears mid-stream). */
export async function deleteTopic (name: string): Promise<void> {
  await withTestAdmin(async (admin) => { await admin.deleteTopics({ topics: [name] }) })
}

/** The consumer groups the test broker knows (or those of `brokers`). */
export async function listGroupIds (brokers?: readonly string[]): Promise<string[]> {
  return withTestAdmin(async (admin) => [...(await admin.listGroups()).keys()], brokers)
}

/** The member ids of a consumer group on the test broker, sorted. */
export async function groupMembers (groupId: string): Promise<string[]> {
  return withTestAdmin(async (admin) => [...((await admin.describeGroups({ groups: [groupId] })).get(groupId)?.members.keys() ?? [])].sort())
}

/** The topics assigned to a consumer group's members on the test broker, sorted. */
export async function groupTopics (groupId: string): Promise<string[]> {
  return withTestAdmin(async (admin) => {
    const members = (await admin.describeGroups({ groups: [groupId] })).get(groupId)?.members.values() ?? []
    return [...new Set([...members].flatMap((member) => [...(member.assignments?.keys() ?? [])]))].sort()
  })
}

/** The offsets a consumer group committed for a topic, by partition ('-1': none), on the test broker unless `brokers` is given. */
export async function committedOffsets (groupId: string, topic: string, options: { brokers?: readonly string[] } = {}): Promise<Record<number, string>> {
  return withTestAdmin(async (admin) => {
    const metadata = await admin.metadata({ topics: [topic] })
    const partitions = Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, partition) => partition)
    const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }] })
    const committed = new Map((group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset]))
    return Object.fromEntries(partitions.map((partition) => [partition, String(committed.get(partition) ?? -1n)]))
  }, options.brokers)
}


/**
 * The codec of every record batch of partition 0 of `topic`, oldest first, as stored by the
 * broker (the low three bits of a batch's attributes), read with a raw Fetch. With the records
 * of each batch, decompressed by the client.
 */
export async function recordBatches (topic: string, options: { brokers?: readonly string[] } = {}): Promise<Array<{ codec: string, values: string[] }>> {
  const consumer = new Consumer({ ...testClientOptions(options.brokers), groupId: uniqueGroupId('test-batches'), autocommit: false })
  try {
    const info = (await consumer.metadata({ topics: [topic] })).topics.get(topic)
    if (info === undefined) throw new Error(`no topic ${topic}`)
    const response = await consumer.fetch({
      node: info.partitions[0]!.leader,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      topics: [{ topicId: info.id, partitions: [{ partition: 0, fetchOffset: 0n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 16 * 1024 * 1024 }] }]
    })
    const batches = response.responses[0]?.partitions[0]?.records ?? []
    return batches.map((batch) => ({ codec: compressionCodecs[batch.attributes & 0x07] ?? `unknown ${batch.attributes & 0x07}`, values: batch.records.map((r) => r.value?.toString('utf8') ?? '') }))
  } finally {
    await consumer.close(true)
  }
}
