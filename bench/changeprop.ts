import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { createChangeprop, loadChangepropConfig } from '../src/changeprop/index.js'
import type { RuleSpec } from '../src/changeprop/index.js'
import { Consumer } from '@platformatic/kafka'
import { createEventProducer, createTopics, kafkaClientOptions } from '../src/kafka/index.js'
import type { Logger } from '../src/logger.js'
import { createMetricsRegistry } from '../src/metrics/registry.js'
import { forkScript, waitUntil } from './processes.js'

export interface ChangepropBenchOptions {
  /** Events produced and then consumed; default 50000. */
  events?: number
  /** Accepted for symmetry with the other figures; the run is sized by `events`. */
  durationSec?: number
  /** The rule's concurrency; default 30 (the configuration default). */
  concurrency?: number
  /** Partitions of the benchmark topic; default 1. */
  partitions?: number
}

export interface ChangepropBenchResult {
  /** Events per second from the topic, through the rule, to the HTTP sink. */
  eventsPerSec: number
  /** Events per second a plain consumer reads from the same topic. */
  plainConsumerEventsPerSec: number
  ratio: number
}

// The seed rule of the change-propagation issue, unchanged: templated path, three
// templated headers (one through date()), a query string.
const seedRule: RuleSpec = {
  topic: 'mediawiki.revision-create',
  retry_on: { status: ['5xx', 404] },
  exec: {
    method: 'get',
    uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}',
    headers: { 'cache-control': 'no-cache', 'x-restbase-parentrevision': '{{message.rev_parent_id}}', 'if-unmodified-since': '{{date(message.meta.dt)}}' },
    query: { redirect: false }
  }
}

function event (i: number): string {
  return JSON.stringify({
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: { stream: 'mediawiki.revision-create', uri: `https://en.wikipedia.org/wiki/Page_${i}`, domain: 'en.wikipedia.org', dt: new Date().toISOString(), id: randomUUID(), request_id: randomUUID() },
    database: 'enwiki',
    page_id: i,
    page_title: `Page_${i}`,
    page_namespace: 0,
    rev_id: 100000 + i,
    rev_parent_id: 99999 + i,
    rev_timestamp: new Date().toISOString(),
    performer: { user_text: 'Bench', user_groups: ['*', 'user'], user_is_bot: false },
    comment: 'benchmark edit'
  })
}

interface SinkReport { served: number, firstMs: number, lastMs: number }

interface Sink { url: string, report(): Promise<SinkReport>, stop(): Promise<void> }

/** Starts bench/sink.ts in its own process. */
async function startSink (): Promise<Sink> {
  const sink = await forkScript<{ port: number }>('./sink.ts')
  return { url: `http://127.0.0.1:${sink.first.port}`, report: async () => sink.ask<SinkReport>('report'), stop: sink.stop }
}

function rate (count: number, first: number, last: number): number {
  return last > first ? (count - 1) / ((last - first) / 1000) : Number.NaN
}

/**
 * Events per second a plain @platformatic/kafka consumer reads `topic` from the beginning,
 * counted after its first fetch arrived, so that joining the group does not count.
 */
export async function plainConsumerRate (brokers: string[], topic: string, total: number, _logger: Logger): Promise<number> {
  const plain = new Consumer({ ...kafkaClientOptions({ brokers, clientId: 'bench-plain' }), groupId: `bench-plain-${randomUUID()}`, maxWaitTime: 100, autocommit: false })
  let read = 0
  let firstBatch = 0
  let firstRead = 0
  let lastRead = 0
  try {
    const stream = await plain.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
    stream.on('data', () => {
      if (read === 0) {
        firstRead = performance.now()
        // The messages of one fetch arrive in one go: those of the first do not count.
        setImmediate(() => { firstBatch = read })
      }
      read++
      lastRead = performance.now()
    })
    await waitUntil('the plain consumer', () => read >= total, 120000, 10)
  } finally {
    await plain.close(true)
  }
  return lastRead > firstRead ? (read - firstBatch) / ((lastRead - firstRead) / 1000) : Number.NaN
}

/**
 * Measures change propagation against a plain consumer on the same broker and topic:
 * `events` revision-create events are produced once; a plain consumer reads them
 * all (baseline), then the seed rule runs over them against an HTTP sink in its own process that
 * answers 200 at once. Rates are taken from the first to the last message (consumer) or
 * request (sink), so group joins do not count.
 */
export async function benchChangeprop (brokers: string[], opts: ChangepropBenchOptions = {}): Promise<ChangepropBenchResult> {
  const total = opts.events ?? 50000
  const logger = pino({ level: 'warn' })
  const prefix = `bench${randomUUID().slice(0, 8)}.`
  const topic = `${prefix}mediawiki.revision-create`
  await createTopics(brokers, [{ name: topic, partitions: opts.partitions ?? 1 }], { logger })

  const producer = createEventProducer({ brokers, clientId: 'bench-producer', lingerMs: 5, maxBatchRecords: 1000, logger })
  await producer.connect()
  try {
    for (let i = 0; i < total; i += 1000) {
      const records = Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({ topic, key: null, value: event(i + j) }))
      await producer.send(records)
    }
  } finally {
    await producer.close()
  }

  // Baseline: a plain consumer reading the same topic from the beginning, three times (in
  // fresh groups); the median counts. One pass takes a fraction of a second, so one alone is noisy.
  const passes: number[] = []
  for (let pass = 0; pass < 3; pass++) passes.push(await plainConsumerRate(brokers, topic, total, logger))
  const plainConsumerEventsPerSec = [...passes].sort((a, b) => a - b)[1] as number

  // Change propagation over the same topic, into an HTTP sink in another process.
  const sink = await startSink()
  let report: SinkReport = { served: 0, firstMs: 0, lastMs: 0 }
  const config = await loadChangepropConfig(undefined, {}, {
    service_name: `bench${randomUUID().slice(0, 8)}`,
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    exec_origin_override: sink.url,
    concurrency: opts.concurrency ?? 30,
    kafka: { brokers, from_beginning: true },
    rules: { page_edit: seedRule }
  })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger, registry: createMetricsRegistry() })
  try {
    await changeprop.start()
    await waitUntil('change propagation', async () => {
      report = await sink.report()
      return report.served >= total
    }, 300000, 10)
  } finally {
    await changeprop.close()
    await sink.stop()
  }

  const eventsPerSec = rate(report.served, report.firstMs, report.lastMs)
  return { eventsPerSec, plainConsumerEventsPerSec, ratio: eventsPerSec / plainConsumerEventsPerSec }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '')
  if (brokers.length === 0) {
    console.error('bench/changeprop.ts: set KAFKA_BROKERS (e.g. start one with `sluice kafka start`)')
    process.exitCode = 2
  } else {
    benchChangeprop(brokers, {
      events: Number(process.env.BENCH_EVENTS ?? 50000),
      concurrency: process.env.BENCH_CONCURRENCY === undefined ? undefined : Number(process.env.BENCH_CONCURRENCY),
      partitions: process.env.BENCH_PARTITIONS === undefined ? undefined : Number(process.env.BENCH_PARTITIONS)
    }).then((result) => {
      console.log(`change propagation: ${result.eventsPerSec.toFixed(0)} events/s; plain consumer: ${result.plainConsumerEventsPerSec.toFixed(0)} events/s; ratio ${result.ratio.toFixed(3)}`)
    }).catch((err: unknown) => {
      console.error(err)
      process.exitCode = 1
    })
  }
}
