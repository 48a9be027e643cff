import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import type { Message } from '@platformatic/kafka'
import { createTopics, kafkaClientOptions } from '../src/kafka/index.js'
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

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

/** Reads `topic` from the start on `brokers`, calling `onRecord(value, arrivedAt)`, until `count` records arrived. */
async function readAll (brokers: string[], topic: string, count: number, onRecord: (value: string, at: number) => void, timeoutMs: number): Promise<void> {
  const admin = new Admin(kafkaClientOptions({ brokers, clientId: 'bench-mirror-reader' }))
  // The mirror creates the topic in the target when it notices it; subscribing earlier fails.
  const deadline = Date.now() + timeoutMs
  try {
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`bench: ${topic} was not mirrored within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await admin.close()
  }
  const consumer = new Consumer({ ...kafkaClientOptions({ brokers, clientId: 'bench-mirror-reader' }), groupId: `bench-mirror-${randomUUID()}`, maxWaitTime: 50, autocommit: false })
  let seen = 0
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`bench: ${seen} of ${count} mirrored records within ${timeoutMs} ms`)) }, timeoutMs)
      stream.on('error', reject)
      stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
        onRecord(m.value?.toString() ?? '', Date.now())
        seen++
        if (seen >= count) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } finally {
    await consumer.close(true)
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
  const producer = new Producer({ ...kafkaClientOptions({ brokers: sourceBrokers, clientId: 'bench-mirror-writer' }), autocreateTopics: true })
  try {
    // Steady rate: batches every 10 ms, each record carrying when it was sent.
    const steady = `eqiad.bench-mirror-${randomUUID().slice(0, 8)}`
    await createTopics(sourceBrokers, [{ name: steady, partitions: 1 }])
    // The mirror notices the topic first (a record that is not measured), then the clock starts.
    await producer.send({ acks: -1, messages: [{ topic: steady, value: Buffer.from('warm|') }] })
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
      await producer.send({ acks: -1, messages: Array.from({ length: Math.min(perTick, total - sent) }, () => ({ topic: steady, value: Buffer.from(`${now}|${'x'.repeat(200)}`) })) })
    }
    await reading
    // The first second warms the JITs of the mirror and the reader.
    const settled = lags.slice(rate).sort((a, b) => a - b)

    // A backlog: the mirror knows the topic, stops, the records pile up, and a new mirror copies them.
    const bulk = `eqiad.bench-mirror-bulk-${randomUUID().slice(0, 8)}`
    await createTopics(sourceBrokers, [{ name: bulk, partitions: 1 }])
    await producer.send({ acks: -1, messages: [{ topic: bulk, value: Buffer.from('first') }] })
    await readAll([target.bootstrap], bulk, 1, () => {}, 60_000)
    await mirror.stop(15_000)
    for (let sent = 0; sent < backlog; sent += 1000) {
      await producer.send({ acks: -1, messages: Array.from({ length: 1000 }, () => ({ topic: bulk, value: Buffer.from('y'.repeat(250)) })) })
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
    await producer.close()
    await mirror.stop(5000)
    await target.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}
