import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createKafkaClient, createTopics } from '../src/kafka/index.js'
import { findFreePort, startLocalBroker, startMirror } from '../src/local-kafka/index.js'

// MirrorMaker 2 between two local clusters: how late a record written in eqiad arrives in codfw
// at a steady 5,000 events/s, and how fast a backlog is copied.

export interface MirrorBenchResult {
  rate: number
  lagP50Ms: number
  lagP99Ms: number
  /** Records of a backlog copied per second (first to last arrival in the target). */
  backlogPerSec: number
  backlogRecords: number
}

const logger = pino({ level: 'silent' })

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

/** Reads `topic` from the start on `brokers`, calling `onRecord(value, arrivedAt)`, until `count` records arrived. */
async function readAll (brokers: string[], topic: string, count: number, onRecord: (value: string, at: number) => void, timeoutMs: number): Promise<void> {
  const kafka = createKafkaClient({ brokers, clientId: 'bench-mirror-reader', logger })
  const admin = kafka.admin()
  await admin.connect()
  // The mirror creates the topic in the target when it notices it; subscribing earlier fails.
  const deadline = Date.now() + timeoutMs
  while (!(await admin.listTopics()).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`bench: ${topic} was not mirrored within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await admin.disconnect()
  const consumer = kafka.consumer({ groupId: `bench-mirror-${randomUUID()}`, maxWaitTimeInMs: 50 })
  await consumer.connect()
  let seen = 0
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`bench: ${seen} of ${count} mirrored records within ${timeoutMs} ms`)) }, timeoutMs)
      void consumer.run({
        eachBatch: async ({ batch }) => {
          const at = Date.now()
          for (const m of batch.messages) onRecord(m.value?.toString() ?? '', at)
          seen += batch.messages.length
          if (seen >= count) {
            clearTimeout(timer)
            resolve()
          }
        }
      })
    })
  } finally {
    await consumer.disconnect()
  }
}

/**
 * `sourceBrokers` is eqiad's cluster (the bench's broker); a second broker plays codfw, and one
 * MirrorMaker 2 copies `eqiad.*` into it, as `sluice kafka mirror` does.
 */
export async function benchMirror (sourceBrokers: string[], options: { durationSec: number, rate?: number, backlog?: number }): Promise<MirrorBenchResult> {
  const rate = options.rate ?? 5000
  const backlog = options.backlog ?? 200_000
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-bench-mirror-'))
  const target = await startLocalBroker({ port: await findFreePort(), dataDir: join(workDir, 'codfw'), fresh: true })
  const mirrorOptions = { from: { name: 'eqiad', bootstrap: sourceBrokers[0]! }, to: { name: 'codfw', bootstrap: target.bootstrap }, workDir, refreshTopicsSeconds: 1, onOutput: () => {} }
  let mirror = await startMirror(mirrorOptions)
  const producer = createKafkaClient({ brokers: sourceBrokers, clientId: 'bench-mirror-writer', logger }).producer()
  await producer.connect()
  try {
    // Steady rate: batches every 10 ms, each record carrying when it was sent.
    const steady = `eqiad.bench-mirror-${randomUUID().slice(0, 8)}`
    await createTopics(sourceBrokers, [{ name: steady, partitions: 1 }])
    // The mirror notices the topic first (a record that is not measured), then the clock starts.
    await producer.send({ topic: steady, acks: -1, messages: [{ value: 'warm|' }] })
    await readAll([target.bootstrap], steady, 1, () => {}, 60_000)
    const total = rate * options.durationSec
    const lags: number[] = []
    const reading = readAll([target.bootstrap], steady, total + 1, (value, at) => {
      if (!value.startsWith('warm')) lags.push(at - Number(value.slice(0, value.indexOf('|'))))
    }, 120_000 + options.durationSec * 1000)
    const perTick = Math.max(1, Math.round(rate / 100))
    const started = Date.now()
    for (let sent = 0; sent < total; sent += perTick) {
      const due = started + (sent / rate) * 1000
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
      const now = Date.now()
      await producer.send({ topic: steady, acks: -1, messages: Array.from({ length: Math.min(perTick, total - sent) }, () => ({ value: `${now}|${'x'.repeat(200)}` })) })
    }
    await reading
    // The first second warms the JITs of the mirror and the reader.
    const settled = lags.slice(rate).sort((a, b) => a - b)

    // A backlog: the mirror knows the topic, stops, the records pile up, and a new mirror copies them.
    const bulk = `eqiad.bench-mirror-bulk-${randomUUID().slice(0, 8)}`
    await createTopics(sourceBrokers, [{ name: bulk, partitions: 1 }])
    await producer.send({ topic: bulk, acks: -1, messages: [{ value: 'first' }] })
    await readAll([target.bootstrap], bulk, 1, () => {}, 60_000)
    await mirror.stop(15_000)
    for (let sent = 0; sent < backlog; sent += 1000) {
      await producer.send({ topic: bulk, acks: -1, messages: Array.from({ length: 1000 }, () => ({ value: 'y'.repeat(250) })) })
    }
    mirror = await startMirror(mirrorOptions)
    let first = 0
    let last = 0
    await readAll([target.bootstrap], bulk, backlog + 1, (value, at) => {
      if (value === 'first') return
      if (first === 0) first = at
      last = at
    }, 300_000)
    return { rate, lagP50Ms: percentile(settled, 0.5), lagP99Ms: percentile(settled, 0.99), backlogPerSec: backlog / Math.max(0.001, (last - first) / 1000), backlogRecords: backlog }
  } finally {
    await producer.disconnect()
    await mirror.stop(5000)
    await target.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}
