import { loadavg } from 'node:os'
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
import { plainConsumerName, plainConsumerRate } from './plain-consumer.js'
import type { Row } from './report.js'
import { rssMb } from './rss.js'
import { waitForReadyz } from './sluice-process.js'
import type { Services } from './sluice-process.js'
import { forkModule, forkScript, forwardStderr, sleep, waitUntil } from './processes.js'
import type { Ipc } from './processes.js'
import type { ClientsReport } from './sse-clients.js'
import { heldLatencyMs, heldShare, searchCapacity, stepLine } from './stream-capacity.js'
import type { Capacity, CapacityOptions, CapacityStep, CapacityTarget } from './stream-capacity.js'
import { streamEvent } from './stream-events.js'

// The stream service's figures (`sluice streams`, EventStreams' API), each against a baseline
// measured the same way in the same run on the same broker:
//  (a) fan-out capacity: many SSE clients on one stream, the events/s offered stepped up until
//      the p99 latency from production to receipt passes 1 s or the deliveries fall short
//      (bench/stream-capacity.ts); the highest step that held, its deliveries/s per core of the
//      server's CPU, and a step at 80 % of it, against a bare Node HTTP server broadcasting the
//      same frames without Kafka, searched the same way;
//  (b) catch-up: one client reading existing events from ?since=0, against a plain Kafka
//      consumer reading the same events;
//  (c) memory: the idle clients one process holds and its RSS per idle connected client,
//      against the bare server's.
// The service, the clients and the bare server each run in their own process.

export interface StreamsBenchOptions {
  /** Measured seconds per capacity step (BENCH_STREAMS_STEP_SECONDS); default 3. */
  stepSec?: number
  /** Concurrent fan-out clients; default 500 (BENCH_STREAMS_CLIENTS). */
  clients?: number
  /** Events/s of the capacity search's first step; default 100 (BENCH_STREAMS_RATE). */
  rate?: number
  /** Each next step offers this many times the one before; default 1.5 (BENCH_STREAMS_STEP_FACTOR). */
  stepFactor?: number
  /** Partitions of the fan-out topic; default 4. */
  partitions?: number
  /** Existing events the catch-up client reads; default 500000 (BENCH_STREAMS_CATCHUP). */
  catchUpEvents?: number
  /** Idle clients of the memory figure; default 10000 (BENCH_STREAMS_IDLE). */
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
  /** The service's `max_connections`; its default (10000) when unset. */
  maxConnections?: number
}

/** `sluice streams` in its own process, from dist/ as production runs it, over a stream config of the given streams. */
async function startStreamsProcess ({ root, workDir, brokers, dist }: Services, port: number, streams: Record<string, { topics: string[] }>, options: StreamsProcessOptions = {}): Promise<StreamsProcess> {
  const streamConfig = join(workDir, 'streams-stream-config.yaml')
  await writeFile(streamConfig, yaml.dump(Object.fromEntries(Object.entries(streams).map(([name, s]) => [name, { schema_title: 'test/event', ...s }]))))
  const configFile = join(workDir, 'streams.yaml')
  await writeFile(configFile, yaml.dump({
    listen_address: '127.0.0.1',
    log_level: 'warn',
    stream_config_uri: streamConfig,
    shutdown_grace_ms: 2000,
    ...(options.maxConnections === undefined ? {} : { max_connections: options.maxConnections })
  }))
  const node = [
    ...(options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]),
    ...(options.inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${options.inspectPort}`])
  ]
  const child = spawn(process.execPath, [...node, join(dist, 'src/bin/sluice.js'), 'streams', '--config', configFile], {
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
const loadAverage = (): string => loadavg()[0]!.toFixed(2)

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

async function openClients (clients: Ipc, url: string, count: number): Promise<number> {
  const opened = await clients.ask<{ opened: number, failed: number }>({ cmd: 'open', url, count })
  return opened.opened
}

/**
 * Open files this process may have (ulimit -n), which its children inherit: each idle client
 * is a socket in the clients' process and one in the server's. Node cannot raise the limit
 * itself, so too low a limit stops the bench at once, saying what to do.
 */
export async function checkOpenFiles (idleCount: number): Promise<void> {
  const limits = await readFile('/proc/self/limits', 'utf8')
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits)
  if (match === null) return
  const soft = match[1] === 'unlimited' ? Infinity : Number(match[1])
  const need = idleCount + 1024
  if (soft >= need) return
  throw new Error(`bench: the stream figures hold ${idleCount} idle clients in one process, which needs ${need} open files, and ulimit -n is ${soft} (hard limit ${match[2]}): run \`ulimit -n ${need}\` in this shell first (as root if above the hard limit), or lower BENCH_STREAMS_IDLE`)
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

interface IdleMemory { held: number, before: number, after: number, perClient: number, heapPerClient: number }

/**
 * RSS of `pid` with no client against `count` idle clients opened (those it held), each after a
 * full GC (through the inspector on `inspectPort`) and a warm-up of a few clients that came and went.
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
  const opened = await openClients(clients, url, count)
  await waitUntil(`${opened} connected clients`, async () => await connected() >= opened, 30000)
  await sleep(3000) // settle: first fetches done, every client on the shared tail
  const after = await sample()
  const held = await connected()
  await clients.ask({ cmd: 'close' })
  return { held, before: before.rss, after: after.rss, perClient: (after.rss - before.rss) / held, heapPerClient: (after.heap - before.heap) / held }
}

// --- the figures ---------------------------------------------------------------------------

export const defaultIdleClients = 10000

const bareName = 'bare Node SSE server, same frames'
const kb = (b: number): number => b / 1024
const mb = (b: number): string => (b / 1048576).toFixed(1)

/** The bare server as a capacity target: it makes the events itself, at the rate asked. */
function bareTarget (clients: Ipc, bare: Ipc, url: string, partitions: number, topic: string): CapacityTarget {
  let from = 0
  return {
    pid: bare.child.pid!,
    async connect (count) {
      await clients.ask({ cmd: 'close' })
      const opened = await openClients(clients, url, count)
      if (opened < count) throw new Error(`bench: ${count - opened} of ${count} stream clients could not connect to ${url}`)
    },
    async start (rate) {
      from = performance.now()
      bare.child.send({ cmd: 'start', rate, partitions, topic })
    },
    async stop () {
      const { made } = await bare.ask<{ made: number }>({ cmd: 'stop' })
      return made / ((performance.now() - from) / 1000)
    }
  }
}

/** The service as a capacity target: its events come from a steady producer through Kafka. */
function serviceTarget (clients: Ipc, service: StreamsProcess, producer: Producer, stream: string, topic: string): CapacityTarget {
  const url = `${service.url}/v2/stream/${stream}`
  const connected = async (): Promise<number> => metricSum(service.url, 'eventstreams_connected_clients', `stream="${stream}"`)
  let steady: SteadyProducer | undefined
  let from = 0
  return {
    pid: service.pid,
    async connect (count) {
      await clients.ask({ cmd: 'close' })
      // The tails stop with their last client: fresh clients start at the log end, with no backlog.
      await waitUntil('the fan-out clients to be gone', async () => await connected() === 0, 30000)
      const opened = await openClients(clients, url, count)
      if (opened < count) throw new Error(`bench: ${count - opened} of ${count} stream clients could not connect to ${url}`)
      await waitUntil(`${count} fan-out clients`, async () => await connected() === count, 30000)
      await sleep(1500) // every client past its first fetch and on the shared tail
    },
    async start (rate) {
      from = performance.now()
      steady = await startSteadyProducer(producer, topic, rate)
    },
    async stop () {
      const made = await steady?.stop() ?? 0
      return made / ((performance.now() - from) / 1000)
    }
  }
}

/** The fan-out's rows: capacity, deliveries/s per core, and the latency at 80 % of capacity, each against the bare server's. */
function capacityRows (service: Capacity, bare: Capacity, clients: number): Row[] {
  const bound = (c: Capacity): string => [
    c.clientBound ? ' (bound by the clients\' process: a lower bound, not a capacity)' : '',
    c.machineBound ? ' (bound by the machine\'s shared cores, not by the server\'s process)' : ''
  ].join('')
  const perCore = (s: CapacityStep | undefined): number => s === undefined ? Number.NaN : s.deliveriesPerSec / s.serverCpu
  const cpuPer1k = (s: CapacityStep | undefined): number | undefined => s === undefined ? undefined : s.serverCpu * 1e6 / s.deliveriesPerSec
  const measures = (s: CapacityStep | undefined): Partial<Row> => ({ p50Ms: s?.p50Ms, p99Ms: s?.p99Ms, cpuMsPer1k: cpuPer1k(s) })
  const ratio07 = { of: 'ratio', op: '>=', limit: 0.7 } as const
  return [
    {
      group: 'streams',
      figure: `streams fan-out capacity, ${clients} clients${bound(service)}`,
      unit: 'deliveries/s',
      value: service.best?.deliveriesPerSec ?? 0,
      ...measures(service.best),
      baseline: { name: `${bareName}${bound(bare)}`, value: bare.best?.deliveriesPerSec ?? Number.NaN, ...measures(bare.best) },
      target: ratio07
    },
    {
      group: 'streams',
      figure: 'streams fan-out capacity per core of the server\'s CPU',
      unit: 'deliveries/s',
      value: perCore(service.best),
      baseline: { name: bareName, value: perCore(bare.best) },
      target: ratio07
    },
    {
      group: 'streams',
      figure: 'streams fan-out at 80 % of capacity',
      unit: 'deliveries/s',
      value: service.at80?.deliveriesPerSec ?? 0,
      ...measures(service.at80),
      baseline: { name: `${bareName}, at 80 % of its capacity`, value: bare.at80?.deliveriesPerSec ?? Number.NaN, ...measures(bare.at80) }
    },
    {
      group: 'streams',
      figure: 'streams fan-out latency p99 at 80 % of capacity',
      unit: 'ms',
      value: service.at80?.p99Ms ?? Number.NaN,
      baseline: { name: `${bareName}, at 80 % of its capacity`, value: bare.at80?.p99Ms ?? Number.NaN },
      target: { of: 'value', op: '<=', limit: 500 }
    }
  ]
}

function memoryRows (service: IdleMemory, bare: IdleMemory): Row[] {
  return [
    { group: 'streams', figure: 'streams idle clients held by one process', unit: 'clients', value: service.held, baseline: { name: bareName, value: bare.held }, target: { of: 'value', op: '>=', limit: 10000 } },
    { group: 'streams', figure: 'streams memory per idle client (RSS, after a full GC)', unit: 'KB', value: kb(service.perClient), baseline: { name: bareName, value: kb(bare.perClient) }, target: { of: 'value', op: '<=', limit: 16 }, digits: 1 }
  ]
}

/** Produces the catch-up events before the service starts: batches of 1000, four in flight. */
async function produceCatchUp (producer: Producer, topic: string, total: number): Promise<string> {
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < total) {
      const from = next
      next = Math.min(total, next + 1000)
      const now = Date.now()
      await producer.send({ acks: -1, messages: Array.from({ length: next - from }, (_, i) => ({ topic, value: Buffer.from(JSON.stringify(streamEvent(from + i, now))) })) })
    }
  }))
  const size = Buffer.byteLength(JSON.stringify(streamEvent(total - 1, Date.now())))
  return `produced ${total} catch-up events of ${size} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`
}

/** (b) catch-up: a plain consumer (median of three passes), then the service, SSE and NDJSON. */
async function catchUpRows (brokers: string[], url: string, topic: string, total: number, lines: string[]): Promise<Row[]> {
  const passes: number[] = []
  for (let pass = 0; pass < 3; pass++) passes.push(await plainConsumerRate(brokers, topic, total))
  const plain = [...passes].sort((a, b) => a - b)[1]!
  const sse = await catchUpRate(url, { accept: 'text/event-stream' }, 'event: message\n', total)
  const ndjson = await catchUpRate(url, { accept: 'application/json' }, '}\n', total)
  lines.push(`catch-up: ${total} events from ?since=0, one client; plain consumer passes ${passes.map((p) => p.toFixed(0)).join(', ')} events/s; machine load ${loadAverage()}`)
  const baseline = { name: `${plainConsumerName}, median of 3`, value: plain }
  const target = { of: 'ratio', op: '>=', limit: 0.9 } as const
  return [
    { group: 'streams', figure: 'streams catch-up SSE', unit: 'events/s', value: sse, baseline, target },
    { group: 'streams', figure: 'streams catch-up NDJSON', unit: 'events/s', value: ndjson, baseline, target }
  ]
}

export async function benchStreams (services: Services, port: () => Promise<number>, opts: StreamsBenchOptions): Promise<Row[]> {
  const { brokers } = services
  const idleCount = opts.idleClients ?? defaultIdleClients
  await checkOpenFiles(idleCount)
  const capacityOptions: CapacityOptions = { clients: opts.clients ?? 500, firstRate: opts.rate ?? 100, factor: opts.stepFactor ?? 1.5, stepSec: opts.stepSec ?? 3, warmUpMs: 1500, maxSteps: 14, refinements: 1 }
  const partitions = opts.partitions ?? 4
  const catchUpTotal = opts.catchUpEvents ?? 500000
  const topics = { fanout: 'bench.streams.fanout', idle: 'bench.streams.idle', catchup: 'bench.streams.catchup' }
  await createTopics(brokers, [
    { name: topics.fanout, partitions },
    { name: topics.idle, partitions: 1 },
    { name: topics.catchup, partitions: 1 }
  ], { logger: pino({ level: 'warn' }) })

  const producer = new Producer({ ...kafkaClientOptions({ brokers, clientId: 'bench-streams' }), autocreateTopics: true })
  const rows: Row[] = []
  const lines: string[] = []
  const log = (line: string): void => { console.log(line) }
  try {
    log(await produceCatchUp(producer, topics.catchup, catchUpTotal))
    const served = {
      'bench.fanout': { topics: [topics.fanout] },
      'bench.idle': { topics: [topics.idle] },
      'bench.catchup': { topics: [topics.catchup] }
    }
    const clients = await forkScript<{ ready: boolean }>('./sse-clients.ts')
    const bareInspect = await port()
    // The bare server runs from dist/ too: under tsx each closure carries a `name` property of its own.
    const bare = await forkModule<{ port: number }>(join(services.dist, 'bench/sse-baseline.js'), [`--inspect=127.0.0.1:${bareInspect}`])
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
      const memoryService = await startStreamsProcess(services, await port(), served, { inspectPort, maxConnections: Math.max(10000, idleCount) })
      let serviceMemory: IdleMemory
      try {
        serviceMemory = await idleMemory(clients, memoryService.pid, inspectPort, `${memoryService.url}/v2/stream/bench.idle`, idleCount, async () => metricSum(memoryService.url, 'eventstreams_connected_clients', 'stream="bench.idle"'))
      } finally {
        await memoryService.stop()
      }
      const kib = (b: number): string => (b / 1024).toFixed(1)
      lines.push(`memory (after a full GC), ${idleCount} idle clients asked for: service held ${serviceMemory.held}, RSS ${mb(serviceMemory.before)} → ${mb(serviceMemory.after)} MB, JS heap ${kib(serviceMemory.heapPerClient)} KB per client; bare server held ${bareMemory.held}, RSS ${mb(bareMemory.before)} → ${mb(bareMemory.after)} MB, JS heap ${kib(bareMemory.heapPerClient)} KB per client`)

      // (a) fan-out capacity: the bare server first, then the service fed through Kafka.
      log(`fan-out capacity: ${capacityOptions.clients} clients, ${partitions} partitions, from ${capacityOptions.firstRate} events/s up ×${capacityOptions.factor} per step, ${capacityOptions.stepSec} s per step; a step holds with p99 ≤ ${heldLatencyMs} ms, ≥ ${heldShare * 100} % of the offered deliveries and no client lost`)
      const bareCapacity = await searchCapacity(clients, bareTarget(clients, bare, `${bareUrl}/`, partitions, topics.fanout), capacityOptions, (s) => { log(stepLine('bare server', s)) })
      const live = await startStreamsProcess(services, await port(), served, { profileDir: opts.profileDir })
      service = live
      const serviceCapacity = await searchCapacity(clients, serviceTarget(clients, live, producer, 'bench.fanout', topics.fanout), capacityOptions, (s) => { log(stepLine('service', s)) })
      await clients.ask({ cmd: 'close' })
      for (const [name, c] of [['service', serviceCapacity], ['bare server', bareCapacity]] as const) {
        lines.push(`fan-out, ${name}: capacity ${c.best === undefined ? 'none (the first step did not hold)' : `${c.best.deliveriesPerSec.toFixed(0)} deliveries/s at ${c.best.rate.toFixed(0)} events/s`}; the limit: ${c.limit === undefined ? `none within ${capacityOptions.maxSteps} steps` : c.limit.why}, clients' process at ${(100 * (c.limit?.clientCpu ?? Number.NaN)).toFixed(0)} % of a core${c.clientBound ? ': the load generator was the limit, not the server' : ''}, the server's process at ${(100 * (c.limit?.serverCpu ?? Number.NaN)).toFixed(0)} %, the machine's cores ${(100 * (c.limit?.machineBusy ?? Number.NaN)).toFixed(0)} % busy${c.machineBound ? ': the machine was the limit, not the server' : ''}; machine load ${loadAverage()}`)
      }
      rows.push(...capacityRows(serviceCapacity, bareCapacity, capacityOptions.clients))
      rows.push(...await catchUpRows(brokers, `${live.url}/v2/stream/bench.catchup?since=0`, topics.catchup, catchUpTotal, lines))
      rows.push(...memoryRows(serviceMemory, bareMemory))
    } finally {
      await service?.stop()
      await clients.stop()
      await bare.stop()
    }
  } finally {
    await producer.close()
  }
  for (const line of lines) console.log(line)
  return rows
}
