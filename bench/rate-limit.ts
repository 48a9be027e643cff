import { createServer } from 'node:http'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createChangeprop, loadChangepropConfig } from '../src/changeprop/index.js'
import { namingOf, topicOf } from '../src/stream-config/index.js'
import { createEventProducer, createTopics } from '../src/kafka/index.js'
import { findFreePort, startLocalBroker } from '../src/local-kafka/index.js'

// `npx tsx bench/rate-limit.ts`: how closely a rule's `rate_limit` holds a backlog to its rate,
// against a local broker and a local HTTP target. A backlog of RATE_LIMIT_EVENTS events (default
// 4000) is in Kafka before change propagation starts; the rule has `rate_limit: {rate, burst}`
// (RATE_LIMIT_RATE, default 50; RATE_LIMIT_BURST, default 10) and `concurrency` 30. The target
// records when each request arrives; the figure is how many arrived in the RATE_LIMIT_SECONDS
// (default 60) from the first, against burst + rate × seconds. KAFKA_BROKERS to use a running
// broker instead of starting one (on BROKER_PORT, or a free port); TARGET_PORT for the target
// (default a free port).

const events = Number(process.env.RATE_LIMIT_EVENTS ?? 4000)
const rate = Number(process.env.RATE_LIMIT_RATE ?? 50)
const burst = Number(process.env.RATE_LIMIT_BURST ?? 10)
const seconds = Number(process.env.RATE_LIMIT_SECONDS ?? 60)

async function startTarget (): Promise<{ origin: string, arrivals: number[], close: () => Promise<void> }> {
  const arrivals: number[] = []
  const http = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      arrivals.push(performance.now())
      res.writeHead(200).end('{}')
    })
  })
  http.listen(Number(process.env.TARGET_PORT ?? 0), '127.0.0.1')
  await once(http, 'listening')
  const address = http.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    origin: `http://127.0.0.1:${address.port}`,
    arrivals,
    close: async () => { http.closeAllConnections(); http.close(); await once(http, 'close') }
  }
}

async function measure (brokers: string[]): Promise<void> {
  const target = await startTarget()
  const prefix = `rate${randomUUID().slice(0, 6)}.`
  const topic = topicOf('mediawiki.revision-create', namingOf(prefix))
  await createTopics(brokers, [{ name: topic, partitions: 1 }], {})
  const logger = pino({ level: 'warn' })
  const producer = createEventProducer({ brokers, clientId: 'bench-rate-limit', logger })
  await producer.connect()
  const dt = new Date().toISOString()
  for (let start = 0; start < events; start += 500) {
    await producer.send(Array.from({ length: Math.min(500, events - start) }, (_, i) => ({
      topic,
      key: `Page_${start + i}`,
      value: JSON.stringify({ meta: { stream: 'mediawiki.revision-create', uri: `https://en.wikipedia.org/wiki/Page_${start + i}`, id: randomUUID(), dt, domain: 'en.wikipedia.org' }, page_title: `Page_${start + i}` })
    })))
  }
  await producer.close()
  const config = await loadChangepropConfig(undefined, {}, {
    service_name: 'ratebench', port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, log_level: 'warn',
    kafka: { brokers, from_beginning: true, commit_interval_ms: 200 },
    rules: { render: { topic: 'mediawiki.revision-create', concurrency: 30, rate_limit: { rate, burst }, exec: { uri: `${target.origin}/render/{message.page_title}` } } }
  })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger })
  try {
    await changeprop.start()
    console.log(`backlog of ${events} events; rate_limit ${rate}/s, burst ${burst}; measuring ${seconds} s from the first request …`)
    while (target.arrivals.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const first = target.arrivals[0] as number
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 500))
    const within = (from: number, to: number): number => target.arrivals.filter((at) => at - first >= from * 1000 && at - first <= to * 1000).length
    const count = within(0, seconds)
    const expected = burst + rate * seconds
    const steady = (count - burst) / seconds
    console.log(`${count} requests in ${seconds} s (expected ${expected}): ${((count - expected) / expected * 100).toFixed(2)} % off; ${steady.toFixed(3)}/s after the burst (${((steady - rate) / rate * 100).toFixed(2)} % off ${rate}/s)`)
    const windows: string[] = []
    for (let from = 0; from < seconds; from += 10) windows.push(String(within(from === 0 ? 0 : from + 0.001, Math.min(seconds, from + 10))))
    console.log(`per 10 s: ${windows.join(', ')}`)
    if (target.arrivals.length >= events) console.log('warning: the backlog ran out before the window ended; raise RATE_LIMIT_EVENTS')
  } finally {
    await changeprop.close()
    await target.close()
  }
}

async function main (): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-rate-limit-'))
  const given = process.env.KAFKA_BROKERS
  const port = process.env.BROKER_PORT === undefined ? await findFreePort() : Number(process.env.BROKER_PORT)
  const broker = given === undefined ? await startLocalBroker({ port, dataDir: join(workDir, 'kafka'), fresh: true, jvmOptions: ['-Xms512m', '-Xmx1g'] }) : undefined
  try {
    await measure(given?.split(',') ?? [broker?.bootstrap as string])
  } finally {
    await broker?.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}

await main()
