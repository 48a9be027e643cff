import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { Producer } from '@platformatic/kafka'
import yaml from 'js-yaml'
import pino from 'pino'
import { request } from 'undici'
import { createTopics, kafkaClientOptions } from '../src/kafka/index.js'
import { cpuSeconds } from './cpu.js'
import { plainConsumerRate } from './plain-consumer.js'
import { rssMb } from './rss.js'
import { waitForReadyz } from './sluice-process.js'
import { forkScript, forwardStderr, sleep, waitUntil } from './processes.js'
import type { Ipc } from './processes.js'
import type { ClientsReport } from './sse-clients.js'
import { streamEvent } from './stream-events.js'

// The stream service's figures (`sluice streams`, EventStreams' API), each against a baseline
// measured in the same run on the same broker:
//  (a) fan-out: many SSE clients on one stream while events are produced at a steady rate;
//      deliveries/s over all clients and latency from production to receipt, against a bare
//      Node HTTP server broadcasting the same frames without Kafka;
//  (b) catch-up: one client reading existing events from ?since=0, against a plain Kafka
//      consumer reading the same events;
//  (c) memory: the service's RSS per idle connected client, against the bare server's.
// The service, the clients and the bare server each run in their own process.

export interface StreamsFigure {
  name: string
  value: number
  baseline: number
  /** value / baseline. */
  ratio: number
  target: string
  met: boolean
  /** Decimals to print value and baseline with. */
  digits: number
}

export interface StreamsBenchOptions {
  durationSec: number
  /** Concurrent fan-out clients; default 500 (BENCH_STREAMS_CLIENTS). */
  clients?: number
  /** Events produced per second during the fan-out; default 250 (BENCH_STREAMS_RATE). */
  rate?: number
  /** Partitions of the fan-out topic; default 4. */
  partitions?: number
  /** Existing events the catch-up client reads; default 500000 (BENCH_STREAMS_CATCHUP). */
  catchUpEvents?: number
  /** Idle clients of the memory figure; default 1000 (BENCH_STREAMS_IDLE). */
  idleClients?: number
  /** A directory for a V8 CPU profile of the service (BENCH_STREAMS_PROFILE); written when it stops. */
  profileDir?: string
}


/**
 * A full garbage collection in a process started with `--inspect`, through the inspector
 * protocol (nothing in the service is added for it); answers the JS heap in use afterwards.
 */
async function collectGarbage (inspectPort: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${inspectPort}/json/list`)
  const [target] = await res.body.json() as Array<{ webSocketDebuggerUrl: string }>
  if (target === undefined) throw new Error(`bench: no inspector target on port ${inspectPort}`)
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
  const replies = new Map<number, (result: Record<string, unknown>) => void>()
  ws.onmessage = (message: MessageEvent) => {
    const reply = JSON.parse(String(message.data)) as { id?: number, result?: Record<string, unknown> }
    if (reply.id !== undefined) replies.get(reply.id)?.(reply.result ?? {})
  }
  let id = 0
  const call = async (method: string): Promise<Record<string, unknown>> => new Promise((resolve) => {
    replies.set(++id, resolve)
    ws.send(JSON.stringify({ id, method }))
  })
  try {
    await call('HeapProfiler.collectGarbage')
    return (await call('Runtime.getHeapUsage')).usedSize as number
  } finally {
    ws.close()
  }
}

interface StreamsProcess { url: string, pid: number, stop(): Promise<void> }

interface StreamsProcessOptions {
  /** Write a V8 CPU profile here when the process stops. */
  profileDir?: string
  /** Listen for the inspector on this port (for collectGarbage). */
  inspectPort?: number
}

/** `sluice streams` in its own process, as production runs it, over a stream config of the given streams. */
async function startStreamsProcess (root: string, workDir: string, brokers: string[], port: number, streams: Record<string, { topics: string[] }>, options: StreamsProcessOptions = {}): Promise<StreamsProcess> {
  const streamConfig = join(workDir, 'streams-stream-config.yaml')
  await writeFile(streamConfig, yaml.dump(Object.fromEntries(Object.entries(streams).map(([name, s]) => [name, { schema_title: 'test/event', ...s }]))))
  const configFile = join(workDir, 'streams.yaml')
  await writeFile(configFile, yaml.dump({
    listen_address: '127.0.0.1',
    log_level: 'warn',
    stream_config_uri: streamConfig,
    shutdown_grace_ms: 2000
  }))
  const node = [
    ...(options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]),
    ...(options.inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${options.inspectPort}`])
  ]
  const child = spawn(process.execPath, [...node, '--import', 'tsx', join(root, 'src/bin/sluice.ts'), 'streams', '--config', configFile], {
    cwd: root,
    env: { ...process.env, PORT: String(port), KAFKA_BROKERS: brokers.join(',') },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  forwardStderr(child)
  const url = `http://127.0.0.1:${port}`
  await waitForReadyz('sluice streams', child, url)
  return {
    url,
    pid: child.pid!,
    async stop () {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** The machine's 1-minute load average: other work on a shared machine shows up in every figure. */
async function loadAverage (): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ')[0]!
}

/** Sum of a metric's samples whose labels contain `match` in the service's /metrics. */
async function metricSum (url: string, name: string, match: string): Promise<number> {
  const res = await request(`${url}/metrics`)
  const text = await res.body.text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(match)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

// --- load ----------------------------------------------------------------------------------

interface SteadyProducer { stop(): Promise<number> }

/**
 * Produces `rate` events/s to `topic` in one batch every 20 ms (acks=-1), each event carrying
 * its production time; a batch that cannot start because 20 are in flight waits for the next tick.
 */
async function startSteadyProducer (producer: Producer, topic: string, rate: number): Promise<SteadyProducer> {
  const began = Date.now()
  let made = 0
  let inFlight = 0
  let failed: unknown
  const pending = new Set<Promise<void>>()
  const timer = setInterval(() => {
    const now = Date.now()
    const due = Math.floor(((now - began) * rate) / 1000) - made
    if (due <= 0 || inFlight >= 20) return
    const messages = Array.from({ length: due }, (_, i) => ({ topic, value: Buffer.from(JSON.stringify(streamEvent(made + i, now))) }))
    made += due
    inFlight++
    const sent = producer.send({ acks: -1, messages }).then(() => {}, (err: unknown) => { failed = err }).finally(() => {
      inFlight--
      pending.delete(sent)
    })
    pending.add(sent)
  }, 20)
  return {
    async stop () {
      clearInterval(timer)
      await Promise.all([...pending])
      if (failed !== undefined) throw failed
      return made
    }
  }
}

interface FanOutResult { deliveriesPerSec: number, p50Ms: number, p99Ms: number, maxMs: number, clientCpu: number, serverCpu: number, lost: number, load: string }

async function openClients (clients: Ipc, url: string, count: number): Promise<void> {
  const opened = await clients.ask<{ opened: number, failed: number }>({ cmd: 'open', url, count })
  if (opened.failed > 0) throw new Error(`bench: ${opened.failed} of ${count} stream clients could not connect to ${url}`)
}

/** Runs the load for a warm-up and a measured window; `serverPid` is measured for CPU over the window. */
async function measureFanOut (clients: Ipc, serverPid: number, durationSec: number, load: { start(): Promise<void>, stop(): Promise<void> }): Promise<FanOutResult> {
  await load.start()
  await sleep(2000) // warm-up: JIT, the tail loops' fetch sessions, TCP windows
  await clients.ask({ cmd: 'reset' })
  const cpu0 = await cpuSeconds(serverPid) * 1000
  await sleep(durationSec * 1000)
  const report = await clients.ask<ClientsReport>({ cmd: 'report' })
  const cpu1 = await cpuSeconds(serverPid) * 1000
  const machineLoad = await loadAverage()
  await load.stop()
  await clients.ask({ cmd: 'close' })
  return {
    deliveriesPerSec: report.deliveries / (report.elapsedMs / 1000),
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    maxMs: report.maxMs,
    clientCpu: report.cpuMs / report.elapsedMs,
    serverCpu: (cpu1 - cpu0) / report.elapsedMs,
    lost: report.lost,
    load: machineLoad
  }
}

/** Reads `url` as one client until `total` markers arrived; events/s from the response's first byte to the last of them. */
async function catchUpRate (url: string, headers: Record<string, string>, marker: string, total: number): Promise<number> {
  const mark = Buffer.from(marker)
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false })
    const timeout = setTimeout(() => { req.destroy(new Error(`bench: catch-up of ${url} did not finish within 5 minutes`)) }, 300000)
    req.on('error', (err) => { clearTimeout(timeout); reject(err) })
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timeout)
        reject(new Error(`bench: ${url} answered ${res.statusCode}`))
        req.destroy()
        return
      }
      let first = 0
      let count = 0
      let carry = Buffer.alloc(0)
      res.on('data', (chunk: Buffer) => {
        if (first === 0) first = performance.now()
        const buf = carry.length === 0 ? chunk : Buffer.concat([carry, chunk])
        let pos = 0
        for (;;) {
          const at = buf.indexOf(mark, pos)
          if (at < 0) break
          count++
          pos = at + mark.length
          if (count === total) {
            const elapsed = (performance.now() - first) / 1000
            clearTimeout(timeout)
            req.destroy()
            resolve(total / elapsed)
            return
          }
        }
        carry = Buffer.from(buf.subarray(Math.max(pos, buf.length - mark.length + 1)))
      })
      res.on('close', () => {
        clearTimeout(timeout)
        if (count < total) reject(new Error(`bench: ${url} ended after ${count} of ${total} events`))
      })
    })
    req.end()
  })
}

interface IdleMemory { before: number, after: number, perClient: number, heapPerClient: number }

/**
 * RSS of `pid` with no client against `count` idle connected clients, each after a full GC
 * (through the inspector on `inspectPort`) and a warm-up of a few clients that came and went.
 */
async function idleMemory (clients: Ipc, pid: number, inspectPort: number, url: string, count: number, connected: () => Promise<number>): Promise<IdleMemory> {
  const sample = async (): Promise<{ rss: number, heap: number }> => {
    const heap = await collectGarbage(inspectPort)
    await sleep(500)
    const values: number[] = []
    for (let i = 0; i < 5; i++) {
      values.push(await rssMb(pid) * 1024 * 1024)
      await sleep(100)
    }
    return { rss: values.sort((a, b) => a - b)[2]!, heap }
  }
  // Warm-up: the first clients load and compile the request path, which is not a per-client cost.
  await openClients(clients, url, 10)
  await sleep(1500)
  await clients.ask({ cmd: 'close' })
  await waitUntil('the warm-up clients to be gone', async () => await connected() === 0, 10000)
  await sleep(1000)
  const before = await sample()
  await openClients(clients, url, count)
  await waitUntil(`${count} connected clients`, async () => await connected() === count, 30000)
  await sleep(3000) // settle: first fetches done, every client on the shared tail
  const after = await sample()
  await clients.ask({ cmd: 'close' })
  return { before: before.rss, after: after.rss, perClient: (after.rss - before.rss) / count, heapPerClient: (after.heap - before.heap) / count }
}

// --- the figures ---------------------------------------------------------------------------

export async function benchStreams (root: string, workDir: string, brokers: string[], port: () => Promise<number>, opts: StreamsBenchOptions): Promise<StreamsFigure[]> {
  const clientCount = opts.clients ?? 500
  const rate = opts.rate ?? 250
  const partitions = opts.partitions ?? 4
  const catchUpTotal = opts.catchUpEvents ?? 500000
  const idleCount = opts.idleClients ?? 1000
  const logger = pino({ level: 'warn' })
  const topics = { fanout: 'bench.streams.fanout', idle: 'bench.streams.idle', catchup: 'bench.streams.catchup' }
  await createTopics(brokers, [
    { name: topics.fanout, partitions },
    { name: topics.idle, partitions: 1 },
    { name: topics.catchup, partitions: 1 }
  ], { logger })

  const producer = new Producer({ ...kafkaClientOptions({ brokers, clientId: 'bench-streams' }), autocreateTopics: true })
  const figures: StreamsFigure[] = []
  const lines: string[] = []
  try {
    // The catch-up events exist before the service starts: batches of 1000, four in flight.
    const t0 = performance.now()
    let next = 0
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < catchUpTotal) {
        const from = next
        next = Math.min(catchUpTotal, next + 1000)
        const now = Date.now()
        await producer.send({ acks: -1, messages: Array.from({ length: next - from }, (_, i) => ({ topic: topics.catchup, value: Buffer.from(JSON.stringify(streamEvent(from + i, now))) })) })
      }
    }))
    const size = Buffer.byteLength(JSON.stringify(streamEvent(catchUpTotal - 1, Date.now())))
    lines.push(`produced ${catchUpTotal} catch-up events of ${size} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    const served = {
      'bench.fanout': { topics: [topics.fanout] },
      'bench.idle': { topics: [topics.idle] },
      'bench.catchup': { topics: [topics.catchup] }
    }
    const clients = await forkScript<{ ready: boolean }>('./sse-clients.ts')
    const bareInspect = await port()
    const bare = await forkScript<{ port: number }>('./sse-baseline.ts', [`--inspect=127.0.0.1:${bareInspect}`])
    const bareUrl = `http://127.0.0.1:${bare.first.port}`
    let service: StreamsProcess | undefined
    try {
      // (c) memory, in a service process of its own that nothing else ran in, with the
      // inspector on so that a full GC can be asked for before each RSS reading.
      const bareMemory = await idleMemory(clients, bare.child.pid!, bareInspect, `${bareUrl}/v2/stream/bench.idle`, idleCount, async () => {
        const report = await clients.ask<ClientsReport>({ cmd: 'report' })
        return report.open
      })
      const inspectPort = await port()
      const memoryService = await startStreamsProcess(root, workDir, brokers, await port(), served, { inspectPort })
      let serviceMemory: IdleMemory
      try {
        serviceMemory = await idleMemory(clients, memoryService.pid, inspectPort, `${memoryService.url}/v2/stream/bench.idle`, idleCount, async () => metricSum(memoryService.url, 'eventstreams_connected_clients', 'stream="bench.idle"'))
      } finally {
        await memoryService.stop()
      }
      const mb = (b: number): string => (b / 1048576).toFixed(1)
      const kib = (b: number): string => (b / 1024).toFixed(1)
      lines.push(`memory (after a full GC): service RSS ${mb(serviceMemory.before)} MB with 0 clients, ${mb(serviceMemory.after)} MB with ${idleCount} idle, JS heap ${kib(serviceMemory.heapPerClient)} KB per client; bare server RSS ${mb(bareMemory.before)} → ${mb(bareMemory.after)} MB, JS heap ${kib(bareMemory.heapPerClient)} KB per client`)

      const live = await startStreamsProcess(root, workDir, brokers, await port(), served, { profileDir: opts.profileDir })
      service = live
      // (a) fan-out: the bare server first, then the service fed through Kafka.
      await openClients(clients, `${bareUrl}/`, clientCount)
      const bareFanOut = await measureFanOut(clients, bare.child.pid!, opts.durationSec, {
        start: async () => { bare.child.send({ cmd: 'start', rate, partitions, topic: topics.fanout }) },
        stop: async () => { await bare.ask({ cmd: 'stop' }) }
      })
      await openClients(clients, `${live.url}/v2/stream/bench.fanout`, clientCount)
      await waitUntil(`${clientCount} fan-out clients`, async () => await metricSum(live.url, 'eventstreams_connected_clients', 'stream="bench.fanout"') === clientCount, 30000)
      await sleep(1500) // every client past its first fetch and on the shared tail
      const fanoutMetric = async (name: string): Promise<number> => metricSum(live.url, name, 'stream="bench.fanout"')
      const delivered0 = await fanoutMetric('sluice_streams_deliveries_total')
      const delay0 = { sum: await fanoutMetric('sluice_streams_delivery_delay_seconds_sum'), count: await fanoutMetric('sluice_streams_delivery_delay_seconds_count') }
      let steady: SteadyProducer | undefined
      let produced = 0
      const producing = { from: 0, to: 0 }
      const fanOut = await measureFanOut(clients, live.pid, opts.durationSec, {
        start: async () => { producing.from = performance.now(); steady = await startSteadyProducer(producer, topics.fanout, rate) },
        stop: async () => { produced = await steady?.stop() ?? 0; producing.to = performance.now() }
      })
      await sleep(1500) // the sessions move their counters to the metrics once a second
      const delivered = await fanoutMetric('sluice_streams_deliveries_total') - delivered0
      // The service's own view: Kafka record timestamp → its write, per tail batch (the last record's).
      const delayMs = 1000 * (await fanoutMetric('sluice_streams_delivery_delay_seconds_sum') - delay0.sum) / (await fanoutMetric('sluice_streams_delivery_delay_seconds_count') - delay0.count)
      const pct = (x: number): string => `${(x * 100).toFixed(0)}%`
      lines.push(`fan-out: ${clientCount} clients, ${rate} events/s produced (${rate * clientCount} deliveries/s offered), ${partitions} partitions`)
      lines.push(`  service: CPU ${pct(fanOut.serverCpu)} of a core, clients' process ${pct(fanOut.clientCpu)}, max latency ${fanOut.maxMs} ms, clients lost ${fanOut.lost}, machine load ${fanOut.load}`)
      lines.push(`  service: counted ${delivered} deliveries; mean delay from Kafka timestamp to its write ${delayMs.toFixed(0)} ms; producer kept ${(produced / ((producing.to - producing.from) / 1000)).toFixed(0)} events/s`)
      lines.push(`  bare server: CPU ${pct(bareFanOut.serverCpu)} of a core, clients' process ${pct(bareFanOut.clientCpu)}, max latency ${bareFanOut.maxMs} ms, clients lost ${bareFanOut.lost}, machine load ${bareFanOut.load}`)

      figures.push(figure('streams fan-out deliveries/s', fanOut.deliveriesPerSec, bareFanOut.deliveriesPerSec, '>= 100000', fanOut.deliveriesPerSec >= 100000, 0))
      figures.push(figure('streams fan-out p50 latency ms', fanOut.p50Ms, bareFanOut.p50Ms, '', true, 0))
      figures.push(figure('streams fan-out p99 latency ms', fanOut.p99Ms, bareFanOut.p99Ms, '<= 500', fanOut.p99Ms <= 500, 0))

      // (b) catch-up: a plain consumer (median of three passes), then the service, SSE and NDJSON.
      const passes: number[] = []
      for (let pass = 0; pass < 3; pass++) passes.push(await plainConsumerRate(brokers, topics.catchup, catchUpTotal, logger))
      const plain = [...passes].sort((a, b) => a - b)[1]!
      const catchUrl = `${live.url}/v2/stream/bench.catchup?since=0`
      const sse = await catchUpRate(catchUrl, { accept: 'text/event-stream' }, 'event: message\n', catchUpTotal)
      const ndjson = await catchUpRate(catchUrl, { accept: 'application/json' }, '}\n', catchUpTotal)
      lines.push(`catch-up: ${catchUpTotal} events from ?since=0, one client; plain consumer passes ${passes.map((p) => p.toFixed(0)).join(', ')} events/s; machine load ${await loadAverage()}`)
      figures.push(figure('streams catch-up SSE events/s', sse, plain, '>= 50000', sse >= 50000, 0))
      figures.push(figure('streams catch-up NDJSON events/s', ndjson, plain, '>= 50000', ndjson >= 50000, 0))

      const kb = (b: number): number => b / 1024
      figures.push(figure('streams KB per idle client', kb(serviceMemory.perClient), kb(bareMemory.perClient), '<= 64', kb(serviceMemory.perClient) <= 64, 1))
    } finally {
      await service?.stop()
      await clients.stop()
      await bare.stop()
    }
  } finally {
    await producer.close()
  }
  for (const line of lines) console.log(line)
  return figures
}

function figure (name: string, value: number, baseline: number, target: string, met: boolean, digits: number): StreamsFigure {
  return { name, value, baseline, ratio: value / baseline, target, met, digits }
}

export function printStreamsFigures (figures: readonly StreamsFigure[], row: (cells: Array<string | number>) => string): void {
  console.log(row(['figure', 'value', 'baseline', 'ratio', 'target', 'met']))
  for (const f of figures) {
    console.log(row([f.name, f.value.toFixed(f.digits), f.baseline.toFixed(f.digits), f.ratio.toFixed(3), f.target === '' ? '-' : f.target, f.target === '' ? '-' : f.met ? 'yes' : 'no']))
  }
}
