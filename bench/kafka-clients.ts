import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Admin as PlatformaticAdmin, Consumer as PlatformaticConsumer, MessagesStreamFallbackModes, MessagesStreamModes, ProduceAcks, Producer as PlatformaticProducer } from '@platformatic/kafka'
import { createTopics, kafkaClientOptions } from '../src/kafka/index.js'
import { findFreePort, startLocalBroker } from '../src/local-kafka/index.js'
import { sampleEvent } from './sample-event.js'
import { sleep, waitUntil } from './processes.js'

// `npx tsx bench/kafka-clients.ts`: the Node Kafka clients side by side against one fresh local
// broker, for the operations Sluice does: batched produce (change propagation, the gateway's own
// batching), one record per send with many in flight (a gateway without batching of its own),
// reading a topic from the start in a consumer group with manual commits (change propagation),
// and connect + metadata and create-topic (start-up, the admin CLI).
//
// Every client sends the same records: the ~600-byte JSON of sampleEvent, no key, one partition,
// acks=-1, no compression. CPU is process.cpuUsage() over the measured window: the whole
// process, so librdkafka's own threads count for the confluent client; the broker runs in a
// child process and does not. Each figure is printed with its ratio to kafkajs's when kafkajs
// ran, else to the first client measured's.
//
//   BENCH_SECONDS=8                              measured seconds per produce figure (after a warm-up)
//   BENCH_CLIENTS=kafkajs,platformatic,confluent which clients, in that order
//   BENCH_CONSUME_RECORDS=200000                 records each consumer reads
//
// kafkajs (Sluice's former client) and @confluentinc/kafka-javascript (it builds librdkafka) are
// not dependencies of the project: they are loaded from .cache/kafka-clients/ when
// `npm run bench:clients:install` put them there, and skipped otherwise. The topics, the records
// every consumer reads and the check of the committed offsets go through @platformatic/kafka.

const root = fileURLToPath(new URL('..', import.meta.url))
const clientsPrefix = join(root, '.cache', 'kafka-clients')
const clientsInstallCommand = 'npm run bench:clients:install'
const durationMs = Number(process.env.BENCH_SECONDS ?? 8) * 1000
const warmupMs = 2000
const consumeRecords = Number(process.env.BENCH_CONSUME_RECORDS ?? 200000)
const clientNames = (process.env.BENCH_CLIENTS ?? 'kafkajs,platformatic,confluent').split(',').map((s) => s.trim()).filter((s) => s !== '')
const batchSize = 100
const batchesInFlight = 4
const singlesInFlight = 200
/**
 * librdkafka's linger (its default): how long it gathers records into a request; the other
 * clients send each call at once. With 0 its batched figure fell to a fifth here (tiny requests).
 */
const lingerMs = 5
/** Connect + metadata and create-topic are single calls: the median of this many. */
const adminRepeats = 3
/** Change propagation commits on a timer, not per record; so do the consumers here. */
const commitIntervalMs = 1000
const consumeTopic = 'clients.consume'
const value = Buffer.from(JSON.stringify(sampleEvent(1)))

/** A producer with acks=-1: `send` resolves once the broker acknowledged every record. */
interface BenchProducer {
  send: (values: readonly Buffer[]) => Promise<void>
  close: () => Promise<void>
}

/** A consumer-group member reading from the oldest record, committing every commitIntervalMs. */
interface BenchConsumer { close: () => Promise<void> }

interface BenchClient {
  name: string
  version: string
  producer: (topic: string) => Promise<BenchProducer>
  /** Joins `groupId` on `topic` and calls `onRecords` with each batch's record count. */
  consumer: (topic: string, groupId: string, onRecords: (count: number) => void) => Promise<BenchConsumer>
  /** A new admin client connected, with `topic`'s metadata; `createTopic` then runs on it. */
  admin: (topic: string) => Promise<{ createTopic: (name: string) => Promise<void>, close: () => Promise<void> }>
}

interface Rate { recordsPerSec: number, cpuMsPer1000: number }
interface ConsumeRate extends Rate { firstBatch: number }

interface Figures {
  client: string
  version: string
  batched: Rate
  single: Rate
  consume: ConsumeRate
  connectMs: number
  createTopicMs: number
}

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

/** Highest offset + 1 per partition: what a commit stores. */
class CommitPositions {
  private readonly next = new Map<number, bigint>()
  seen (partition: number, offset: bigint): void { this.next.set(partition, offset + 1n) }
  take (): Array<{ partition: number, offset: bigint }> {
    const positions = [...this.next].map(([partition, offset]) => ({ partition, offset }))
    this.next.clear()
    return positions
  }
}

/**
 * Calls `commit` every commitIntervalMs until stopped; the last call runs on stop, which
 * throws the first commit error: a consumer whose commits fail is not measured.
 */
function commitTimer (commit: () => Promise<void>): { stop: () => Promise<void> } {
  let failure: unknown
  let chain = Promise.resolve()
  const run = async (): Promise<void> => { await commit().catch((err: unknown) => { failure ??= err }) }
  const timer = setInterval(() => { chain = chain.then(run) }, commitIntervalMs)
  return {
    stop: async () => {
      clearInterval(timer)
      await chain
      await run()
      if (failure !== undefined) throw new Error(`a commit failed: ${(failure as Error).message}`, { cause: failure })
    }
  }
}

/** A batch as both KafkaJS-style consumers (kafkajs, confluent's KafkaJS API) hand it out. */
interface KafkajsStyleBatch { partition: number, messages: readonly unknown[], lastOffset: () => string }

/**
 * Counts each batch and commits what was seen every commitIntervalMs, for the two KafkaJS-style
 * consumers; `run` starts the consumer with the given eachBatch (their run options differ).
 */
async function consumeInBatches (
  consumer: { commitOffsets: (offsets: Array<{ topic: string, partition: number, offset: string }>) => Promise<void>, disconnect: () => Promise<void> },
  topic: string,
  onRecords: (count: number) => void,
  run: (eachBatch: (payload: { batch: KafkajsStyleBatch }) => Promise<void>) => Promise<void>
): Promise<BenchConsumer> {
  const positions = new CommitPositions()
  await run(async ({ batch }) => {
    if (batch.messages.length === 0) return
    positions.seen(batch.partition, BigInt(batch.lastOffset()))
    onRecords(batch.messages.length)
  })
  const commits = commitTimer(async () => {
    const offsets = positions.take().map(({ partition, offset }) => ({ topic, partition, offset: String(offset) }))
    if (offsets.length > 0) await consumer.commitOffsets(offsets)
  })
  return { close: async () => { await commits.stop(); await consumer.disconnect() } }
}

function packageVersion (dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
}

/**
 * A client package from clientsPrefix, or why it is not there. Looked up in the prefix's own
 * node_modules only: a copy elsewhere up the tree (a checkout's node_modules) does not count.
 */
function loadFromPrefix<T> (name: string, installNote: string): { module: T, version: string } | { missing: string } {
  const dir = join(clientsPrefix, 'node_modules', ...name.split('/'))
  const requireFromPrefix = createRequire(join(clientsPrefix, 'package.json'))
  let entry: string
  try {
    entry = requireFromPrefix.resolve(dir)
  } catch {
    return { missing: `${name} is not installed; to install it (${installNote}): ${clientsInstallCommand}` }
  }
  try {
    return { module: requireFromPrefix(entry) as T, version: packageVersion(dir) }
  } catch (err) {
    return { missing: `${name} did not load (${(err as Error).message}); to reinstall it: rm -rf .cache/kafka-clients && ${clientsInstallCommand}` }
  }
}

// The few parts of kafkajs's API used here; the package is loaded at run time from outside
// node_modules, so its own typings are not at hand.
interface KafkajsBatch { partition: number, messages: unknown[], lastOffset: () => string }
interface KafkajsProducer {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  send: (record: { topic: string, acks: number, messages: Array<{ value: Buffer }> }) => Promise<unknown>
}
interface KafkajsConsumer {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  subscribe: (subscription: { topic: string, fromBeginning: boolean }) => Promise<void>
  run: (config: { autoCommit: boolean, eachBatch: (payload: { batch: KafkajsBatch }) => Promise<void> }) => Promise<void>
  commitOffsets: (offsets: Array<{ topic: string, partition: number, offset: string }>) => Promise<void>
}
interface KafkajsAdmin {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  fetchTopicMetadata: (options: { topics: string[] }) => Promise<unknown>
  createTopics: (options: { waitForLeaders: boolean, topics: Array<{ topic: string, numPartitions: number, replicationFactor: number }> }) => Promise<boolean>
}
interface KafkajsModule {
  Kafka: new (config: { clientId: string, brokers: string[], logLevel: number }) => {
    producer: (config: { createPartitioner: unknown }) => KafkajsProducer
    consumer: (config: { groupId: string, maxWaitTimeInMs: number }) => KafkajsConsumer
    admin: () => KafkajsAdmin
  }
  Partitioners: { DefaultPartitioner: unknown }
  logLevel: { NOTHING: number }
}

function kafkajsClient (brokers: string[], loaded: { module: KafkajsModule, version: string }): BenchClient {
  const { Kafka, Partitioners, logLevel } = loaded.module
  const kafka = new Kafka({ clientId: 'bench-clients', brokers, logLevel: logLevel.NOTHING })
  return {
    name: 'kafkajs',
    version: loaded.version,
    producer: async (topic) => {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
      await producer.connect()
      return {
        send: async (values) => { await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: v })) }) },
        close: async () => { await producer.disconnect() }
      }
    },
    consumer: async (topic, groupId, onRecords) => {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      return consumeInBatches(consumer, topic, onRecords, async (eachBatch) => { await consumer.run({ autoCommit: false, eachBatch }) })
    },
    admin: async (topic) => {
      const admin = kafka.admin()
      await admin.connect()
      await admin.fetchTopicMetadata({ topics: [topic] })
      return {
        // The CreateTopics request alone, as the other clients send it. src/kafka/admin.ts also
        // waits for leaders (waitForLeaders: true), which adds metadata polls: about 150 ms here.
        createTopic: async (name) => { await admin.createTopics({ waitForLeaders: false, topics: [{ topic: name, numPartitions: 1, replicationFactor: 1 }] }) },
        close: async () => { await admin.disconnect() }
      }
    }
  }
}

function platformaticClient (brokers: string[]): BenchClient {
  const base = { clientId: 'bench-clients', bootstrapBrokers: brokers }
  return {
    name: 'platformatic',
    version: packageVersion(join(root, 'node_modules', '@platformatic', 'kafka')),
    producer: async (topic) => {
      // Its default is acks=1 unless idempotent; Sluice needs -1.
      const producer = new PlatformaticProducer({ ...base, acks: ProduceAcks.ALL, autocreateTopics: false })
      await producer.metadata({ topics: [topic] })
      return {
        send: async (values) => { await producer.send({ messages: values.map((v) => ({ topic, value: v })) }) },
        close: async () => { await producer.close() }
      }
    },
    consumer: async (topic, groupId, onRecords) => {
      const consumer = new PlatformaticConsumer({ ...base, groupId, autocommit: false, maxWaitTime: 100 })
      const positions = new CommitPositions()
      const epochs = new Map<number, number>()
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false
      })
      // A stream of single records: there are no batches to hand out.
      stream.on('data', (message) => {
        positions.seen(message.partition, message.offset)
        epochs.set(message.partition, message.leaderEpoch)
        onRecords(1)
      })
      const commits = commitTimer(async () => {
        const offsets = positions.take().map(({ partition, offset }) => ({ topic, partition, offset, leaderEpoch: epochs.get(partition) ?? -1 }))
        if (offsets.length > 0) await consumer.commit({ offsets })
      })
      return { close: async () => { await commits.stop(); await stream.close(); await consumer.close() } }
    },
    admin: async (topic) => {
      const admin = new PlatformaticAdmin(base)
      await admin.metadata({ topics: [topic] })
      return {
        createTopic: async (name) => { await admin.createTopics({ topics: [name], partitions: 1, replicas: 1 }) },
        close: async () => { await admin.close() }
      }
    }
  }
}

// The few parts of @confluentinc/kafka-javascript's KafkaJS-shaped API used here; the package
// is loaded at run time from outside node_modules, so its own typings are not at hand.
interface ConfluentMessage { offset: string }
interface ConfluentBatch { partition: number, messages: ConfluentMessage[], lastOffset: () => string }
interface ConfluentProducer {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  send: (record: { topic: string, messages: Array<{ value: Buffer }> }) => Promise<unknown>
}
interface ConfluentConsumer {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  subscribe: (subscription: { topics: string[] }) => Promise<void>
  run: (config: { eachBatch: (payload: { batch: ConfluentBatch }) => Promise<void> }) => Promise<void>
  commitOffsets: (offsets: Array<{ topic: string, partition: number, offset: string }>) => Promise<void>
}
interface ConfluentAdmin {
  connect: () => Promise<void>
  disconnect: () => Promise<void>
  fetchTopicMetadata: (options: { topics: string[] }) => Promise<unknown>
  createTopics: (options: { topics: Array<{ topic: string, numPartitions: number, replicationFactor: number }> }) => Promise<boolean>
}
interface ConfluentKafka {
  producer: (config: Record<string, unknown>) => ConfluentProducer
  consumer: (config: Record<string, unknown>) => ConfluentConsumer
  admin: (config?: Record<string, unknown>) => ConfluentAdmin
}
interface ConfluentModule {
  librdkafkaVersion: string
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => ConfluentKafka, logLevel: { NOTHING: number } }
}

function confluentClient (brokers: string[], loaded: { module: ConfluentModule, version: string }): BenchClient {
  const { KafkaJS, librdkafkaVersion } = loaded.module
  const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'bench-clients', brokers, logLevel: KafkaJS.logLevel.NOTHING } })
  return {
    name: 'confluent',
    version: `${loaded.version} (librdkafka ${librdkafkaVersion})`,
    producer: async (topic) => {
      // acks belongs to the producer's config here: send() refuses it.
      const producer = kafka.producer({ kafkaJS: { acks: -1 }, 'linger.ms': lingerMs })
      await producer.connect()
      return {
        send: async (values) => { await producer.send({ topic, messages: values.map((v) => ({ value: v })) }) },
        close: async () => { await producer.disconnect() }
      }
    },
    consumer: async (topic, groupId, onRecords) => {
      const consumer = kafka.consumer({
        kafkaJS: { groupId, fromBeginning: true, autoCommit: false, maxWaitTimeInMs: 100 },
        // eachBatch hands out 32 records by default (a third of this rate or less when tried
        // here); the other clients hand out what a fetch brought.
        'js.consumer.max.batch.size': -1
      })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic] })
      return consumeInBatches(consumer, topic, onRecords, async (eachBatch) => { await consumer.run({ eachBatch }) })
    },
    admin: async (topic) => {
      const admin = kafka.admin()
      await admin.connect()
      await admin.fetchTopicMetadata({ topics: [topic] })
      return {
        createTopic: async (name) => { await admin.createTopics({ topics: [{ topic: name, numPartitions: 1, replicationFactor: 1 }] }) },
        close: async () => { await admin.disconnect() }
      }
    }
  }
}

/**
 * `workers` loops each awaiting `step` (which returns the records it got acknowledged) for
 * warmupMs + durationMs; the figure covers the span after the warm-up only.
 */
async function measureLoad (workers: number, step: () => Promise<number>): Promise<Rate> {
  let acked = 0
  const started = performance.now()
  const marks: Array<{ acked: number, at: number, cpu: number }> = []
  const mark = (): void => { marks.push({ acked, at: performance.now(), cpu: cpuMs() }) }
  const warm = setTimeout(mark, warmupMs)
  const done = setTimeout(mark, warmupMs + durationMs)
  try {
    await Promise.all(Array.from({ length: workers }, async () => {
      while (performance.now() - started < warmupMs + durationMs) {
        // Not `acked += await step()`: that reads `acked` before the await and loses the other loops' counts.
        const records = await step()
        acked += records
      }
    }))
  } finally {
    clearTimeout(warm)
    clearTimeout(done)
  }
  // A loop can end a little before the last timer fires: the end is then taken now.
  if (marks.length < 2) mark()
  const [from, to] = [marks[0]!, marks[1]!]
  const records = to.acked - from.acked
  return { recordsPerSec: records / ((to.at - from.at) / 1000), cpuMsPer1000: (to.cpu - from.cpu) / records * 1000 }
}

async function produceFigure (client: BenchClient, topic: string, perSend: number, inFlight: number): Promise<Rate> {
  const producer = await client.producer(topic)
  try {
    const values = Array.from({ length: perSend }, () => value)
    await producer.send(values)
    return await measureLoad(inFlight, async () => { await producer.send(values); return perSend })
  } finally {
    await producer.close()
  }
}

/**
 * Reads `consumeRecords` from the start of `topic`; counted from the first batch on. The
 * group's committed offset is then read back, to know the manual commits worked.
 */
async function consumeFigure (client: BenchClient, topic: string, committed: (groupId: string) => Promise<number>): Promise<ConsumeRate> {
  const groupId = `bench-clients-${client.name}-${Date.now()}`
  let read = 0
  let first: { count: number, at: number, cpu: number } | undefined
  let last: { at: number, cpu: number } | undefined
  const consumer = await client.consumer(topic, groupId, (count) => {
    read += count
    if (first === undefined) first = { count, at: performance.now(), cpu: cpuMs() }
    if (read >= consumeRecords && last === undefined) last = { at: performance.now(), cpu: cpuMs() }
  })
  try {
    await waitUntil(`${client.name} reading ${consumeRecords} records`, () => last !== undefined, 180000, 10)
  } finally {
    await consumer.close()
  }
  const offset = await committed(groupId)
  if (offset < consumeRecords) throw new Error(`${client.name} read ${read} records but its group committed offset ${offset}, not ${consumeRecords}`)
  const records = read - first!.count
  if (records < consumeRecords / 2) throw new Error(`${client.name}'s first batch held ${first!.count} of ${read} records: too few left to time; raise BENCH_CONSUME_RECORDS`)
  return { recordsPerSec: records / ((last!.at - first!.at) / 1000), cpuMsPer1000: (last!.cpu - first!.cpu) / records * 1000, firstBatch: first!.count }
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function adminFigures (client: BenchClient): Promise<{ connectMs: number, createTopicMs: number }> {
  const connect: number[] = []
  const create: number[] = []
  for (let i = 0; i < adminRepeats; i++) {
    const t0 = performance.now()
    const admin = await client.admin(consumeTopic)
    const t1 = performance.now()
    try {
      await admin.createTopic(`clients.${client.name}.admin.${i}`)
      create.push(performance.now() - t1)
    } finally {
      await admin.close()
    }
    connect.push(t1 - t0)
  }
  return { connectMs: median(connect), createTopicMs: median(create) }
}

async function benchClient (client: BenchClient, committed: (groupId: string) => Promise<number>): Promise<Figures> {
  const admin = await adminFigures(client)
  const batched = await produceFigure(client, `clients.${client.name}.batched`, batchSize, batchesInFlight)
  console.log(`  ${client.name}: batched ${batched.recordsPerSec.toFixed(0)} records/s`)
  const single = await produceFigure(client, `clients.${client.name}.single`, 1, singlesInFlight)
  console.log(`  ${client.name}: single ${single.recordsPerSec.toFixed(0)} records/s`)
  const consume = await consumeFigure(client, consumeTopic, committed)
  console.log(`  ${client.name}: consume ${consume.recordsPerSec.toFixed(0)} records/s after a first batch of ${consume.firstBatch}`)
  return { client: client.name, version: client.version, batched, single, consume, ...admin }
}

/** Topics made before any client is measured, and the records every consumer reads. */
async function prepare (brokers: string[], clients: readonly string[]): Promise<void> {
  const topics = [consumeTopic, ...clients.flatMap((name) => [`clients.${name}.batched`, `clients.${name}.single`])]
  // Returns once every new topic's leader serves it.
  await createTopics(brokers, topics.map((name) => ({ name, partitions: 1, replicationFactor: 1 })), { clientId: 'bench-clients-setup' })
  const producer = new PlatformaticProducer({ ...kafkaClientOptions({ brokers, clientId: 'bench-clients-setup' }), acks: ProduceAcks.ALL, autocreateTopics: false })
  try {
    // Record batches of 100, as the batched produce figure and the gateway write them.
    const messages = Array.from({ length: batchSize }, () => ({ topic: consumeTopic, value }))
    let sent = 0
    await Promise.all(Array.from({ length: batchesInFlight }, async () => {
      while (sent < consumeRecords) {
        const n = Math.min(messages.length, consumeRecords - sent)
        sent += n
        await producer.send({ messages: messages.slice(0, n) })
      }
    }))
  } finally {
    await producer.close()
  }
}

/** The offset `groupId` committed on consumeTopic's partition 0 (-1 for none). */
function committedOffset (brokers: string[]): (groupId: string) => Promise<number> {
  return async (groupId) => {
    const admin = new PlatformaticAdmin(kafkaClientOptions({ brokers, clientId: 'bench-clients-check' }))
    try {
      const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: consumeTopic, partitionIndexes: [0] }] }] })
      const partition = group?.topics.find((t) => t.name === consumeTopic)?.partitions.find((p) => p.partitionIndex === 0)
      return Number(partition?.committedOffset ?? -1n)
    } finally {
      await admin.close()
    }
  }
}

function printTable (figures: readonly Figures[]): void {
  // kafkajs, Sluice's former client, when it ran; else the first client measured.
  const base = figures.find((f) => f.client === 'kafkajs') ?? figures[0]
  const cell = (v: number, b: number | undefined, digits: number): string => {
    const text = v.toFixed(digits)
    return b === undefined ? text : `${text} (${(v / b).toFixed(2)}×)`
  }
  const header = ['client', 'version', 'batched rec/s', 'CPU ms/1k', 'single rec/s', 'CPU ms/1k', 'consume rec/s', 'CPU ms/1k', 'connect+md ms', 'create topic ms']
  const rows = figures.map((f) => [
    f.client,
    f.version,
    cell(f.batched.recordsPerSec, base?.batched.recordsPerSec, 0),
    cell(f.batched.cpuMsPer1000, base?.batched.cpuMsPer1000, 1),
    cell(f.single.recordsPerSec, base?.single.recordsPerSec, 0),
    cell(f.single.cpuMsPer1000, base?.single.cpuMsPer1000, 1),
    cell(f.consume.recordsPerSec, base?.consume.recordsPerSec, 0),
    cell(f.consume.cpuMsPer1000, base?.consume.cpuMsPer1000, 1),
    cell(f.connectMs, base?.connectMs, 0),
    cell(f.createTopicMs, base?.createTopicMs, 0)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ')
  console.log(line(header))
  for (const r of rows) console.log(line(r))
  const baseNote = base === undefined || base.client === 'kafkajs' ? 'kafkajs' : `${base.client}, the first client measured (kafkajs did not run)`
  console.log(`(×: ratio to ${baseNote}; CPU is the whole process per 1,000 records)`)
}

async function main (): Promise<void> {
  // The rate is counted from the first batch on, and librdkafka's first one can hold ~18,000.
  if (!(consumeRecords >= 50000)) throw new Error(`BENCH_CONSUME_RECORDS: at least 50000, not ${process.env.BENCH_CONSUME_RECORDS}`)
  const unknown = clientNames.filter((n) => !['kafkajs', 'platformatic', 'confluent'].includes(n))
  if (unknown.length > 0) throw new Error(`BENCH_CLIENTS: unknown client(s) ${unknown.join(', ')}; known: kafkajs, platformatic, confluent`)
  const kafkajs = clientNames.includes('kafkajs') ? loadFromPrefix<KafkajsModule>('kafkajs', 'pure JavaScript, a few seconds') : undefined
  if (kafkajs !== undefined && 'missing' in kafkajs) console.log(`skipping kafkajs: ${kafkajs.missing}\n`)
  const confluent = clientNames.includes('confluent') ? loadFromPrefix<ConfluentModule>('@confluentinc/kafka-javascript', 'it builds librdkafka, a few minutes') : undefined
  if (confluent !== undefined && 'missing' in confluent) console.log(`skipping confluent: ${confluent.missing}\n`)
  const runnable = clientNames.filter((name) => {
    if (name === 'kafkajs') return kafkajs !== undefined && !('missing' in kafkajs)
    if (name === 'confluent') return confluent !== undefined && !('missing' in confluent)
    return true
  })
  if (runnable.length === 0) return

  const workDir = await mkdtemp(join(tmpdir(), 'sluice-bench-clients-'))
  // Full JIT for the broker: the test default stops at C1 for fast start-up, not throughput.
  const broker = await startLocalBroker({ port: await findFreePort(), dataDir: join(workDir, 'kafka'), fresh: true, jvmOptions: ['-Xms512m', '-Xmx1g'] })
  const brokers = [broker.bootstrap]
  try {
    const clients: BenchClient[] = []
    for (const name of runnable) {
      if (name === 'kafkajs' && kafkajs !== undefined && !('missing' in kafkajs)) clients.push(kafkajsClient(brokers, kafkajs))
      if (name === 'platformatic') clients.push(platformaticClient(brokers))
      if (name === 'confluent' && confluent !== undefined && !('missing' in confluent)) clients.push(confluentClient(brokers, confluent))
    }
    await prepare(brokers, clients.map((c) => c.name))
    const committed = committedOffset(brokers)
    console.log(`broker ${broker.bootstrap}; ${value.length}-byte records, no key, 1 partition, acks=-1; ${durationMs / 1000} s per produce figure after a ${warmupMs / 1000} s warm-up`)
    console.log(`batched: ${batchSize} records a send, ${batchesInFlight} sends in flight; single: 1 record a send, ${singlesInFlight} in flight (confluent lingers ${lingerMs} ms in both);`)
    console.log(`consume: ${consumeRecords} records from the start, consumer group, manual commit every ${commitIntervalMs} ms; admin figures: median of ${adminRepeats}\n`)
    const figures: Figures[] = []
    for (const client of clients) {
      figures.push(await benchClient(client, committed))
      // Let the previous client's sockets and timers wind down before the next one is measured.
      await sleep(500)
    }
    console.log('')
    printTable(figures)
  } finally {
    await broker.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
