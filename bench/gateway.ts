import { loadavg } from 'node:os'
import { join } from 'node:path'
import { findFreePort } from '../src/local-kafka/index.js'
import { cpuMsPer1k } from './cpu.js'
import { loadHttp } from './http-load.js'
import type { HttpLoadResult } from './http-load.js'
import { benchPlainProducer, plainProducerName } from './plain-producer.js'
import type { PlainProducerFigure } from './plain-producer.js'
import { forkModule } from './processes.js'
import type { Measure, Row } from './report.js'
import { sampleEvent } from './sample-event.js'
import { startSluiceProcess } from './sluice-process.js'
import type { Services, SluiceProcess } from './sluice-process.js'

// The gateway's figures: `sluice gateway` in its own process, wrk in another. Every load runs
// against a gateway process of its own, so that no load inherits the heap another one grew.
// Baselines from the same run: the plain producer (same client, same records) and a bare Fastify
// route in its own process (same body, same load).
//
// Hasty against guaranteed is measured at 50 and at 200 connections, the two loads alternated
// `rounds` times (BENCH_GATEWAY_ROUNDS, default 2 at 200 connections): a figure is the median of
// its rounds, and the spread of the 200-connection p99 over the rounds is a figure of its own.

const group = 'gateway'

/** `sluice gateway` in its own process, serving the test streams on `topic_prefix` bench; `kafka` keys over the defaults. */
export async function startGatewayProcess (services: Services, kafka: Record<string, unknown> = {}): Promise<SluiceProcess> {
  return startSluiceProcess(services, 'gateway', {
    port: await findFreePort(),
    schema_base_uris: [join(services.root, 'schemas') + '/'],
    stream_config_uri: join(services.root, 'stream-config'),
    topic_prefix: 'bench.',
    schema_precache_uris: ['/test/event/1.0.0'],
    kafka
  })
}

const bodyOf = (eventsPerRequest: number): string => JSON.stringify(Array.from({ length: eventsPerRequest }, (_, i) => sampleEvent(i)))

export interface GatewayFigures {
  rows: Row[]
  /** The plain producer's events/s, which the mirror figure reuses. */
  plainProducer: number
}

export interface GatewayBenchOptions {
  durationSec: number
  /** Rounds of guaranteed and hasty, alternated, at 200 connections; default 2. */
  rounds?: number
}

interface Load {
  eventsPerRequest: number
  connections: number
  hasty: boolean
}

/** A load's result with what the row needs: the machine's load average at its end. */
interface Measured extends HttpLoadResult { eventsPerRequest: number, loadAverage: number }

const loadName = (load: Load): string => `${load.hasty ? 'hasty' : 'guaranteed'} ${load.eventsPerRequest} event${load.eventsPerRequest === 1 ? '' : 's'}/request, ${load.connections} connections`

/** One load against a gateway process of its own. */
async function measureGateway (services: Services, load: Load, durationSec: number): Promise<Measured> {
  const gateway = await startGatewayProcess(services)
  try {
    const result = await loadHttp(`${gateway.url}/v1/events${load.hasty ? '?hasty=true' : ''}`, {
      body: bodyOf(load.eventsPerRequest),
      durationSec,
      connections: load.connections,
      pid: gateway.pid,
      workDir: services.workDir
    })
    if (result.failed > 0) console.error(`bench: gateway ${loadName(load)}: ${result.failed} requests failed or were not answered 2xx`)
    return { ...result, eventsPerRequest: load.eventsPerRequest, loadAverage: loadavg()[0]! }
  } finally {
    await gateway.stop()
  }
}

/** The bare Fastify route under the same load. */
async function measureBare (services: Services, eventsPerRequest: number, connections: number, durationSec: number): Promise<Measured> {
  const bare = await forkModule<{ port: number }>(join(services.dist, 'bench/bare-fastify.js'))
  try {
    const result = await loadHttp(`http://127.0.0.1:${bare.first.port}/v1/events`, { body: bodyOf(eventsPerRequest), durationSec, connections, pid: bare.child.pid!, workDir: services.workDir })
    if (result.failed > 0) console.error(`bench: bare Fastify, ${eventsPerRequest} events/request: ${result.failed} requests failed`)
    return { ...result, eventsPerRequest, loadAverage: loadavg()[0]! }
  } finally {
    await bare.stop()
  }
}

/** Events/s and the rest of a load's figures, per event. */
function measure (r: Measured): Measure {
  return {
    value: r.requestsPerSec * r.eventsPerRequest,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    rssMb: r.peakRssMb,
    cpuMsPer1k: cpuMsPer1k(0, r.cpuSec, r.answered * r.eventsPerRequest),
    loadAverage: r.loadAverage
  }
}

/** The round whose events/s is the median (the middle one; of two, the lower). */
function median (rounds: readonly Measured[]): Measured {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/**
 * Hasty against guaranteed at one connection count: events/s (≥ 1.1), CPU per event (no more)
 * and p99 (no more), each a row of its own.
 */
function hastyRows (connections: number, guaranteed: Measured, hasty: Measured): Row[] {
  const g = measure(guaranteed)
  const h = measure(hasty)
  const name = `gateway guaranteed 1 event/request, ${connections} connections`
  const figure = `gateway hasty 1 event/request, ${connections} connections`
  return [
    { group, figure, unit: 'events/s', ...h, baseline: { name, ...g }, target: { of: 'ratio', op: '>=', limit: 1.1 } },
    { group, figure, unit: 'CPU ms per 1,000 events', ...h, value: h.cpuMsPer1k!, baseline: { name, ...g, value: g.cpuMsPer1k! }, target: { of: 'ratio', op: '<=', limit: 1 } },
    { group, figure, unit: 'p99 ms', ...h, value: h.p99Ms!, baseline: { name, ...g, value: g.p99Ms! }, target: { of: 'ratio', op: '<=', limit: 1 } }
  ]
}

/** The spread of a load's p99 over rounds: highest ÷ lowest, against 1 (identical runs). */
function p99SpreadRow (figure: string, rounds: readonly Measured[]): Row {
  const p99s = rounds.map((r) => r.p99Ms)
  const spread = Math.max(...p99s) / Math.min(...p99s)
  return {
    group,
    figure: `${figure}: p99 spread over ${rounds.length} rounds (${p99s.map((p) => p.toFixed(0)).join(', ')} ms)`,
    unit: 'highest ÷ lowest',
    value: spread,
    digits: 2,
    target: { of: 'value', op: '<=', limit: 1.5 }
  }
}

export async function benchGateway (services: Services, options: GatewayBenchOptions): Promise<GatewayFigures> {
  const { durationSec } = options
  const rounds = Math.max(1, options.rounds ?? 2)
  const plain: PlainProducerFigure = await benchPlainProducer(services.brokers, 'bench.plain', durationSec * 1000)
  const producer = { name: `${plainProducerName}, batches of 100`, value: plain.eventsPerSec, cpuMsPer1k: plain.cpuMsPer1k }

  const bare = await measureBare(services, 1, 50, durationSec)
  const bareTen = await measureBare(services, 10, 50, durationSec)
  const one = await measureGateway(services, { eventsPerRequest: 1, connections: 50, hasty: false }, durationSec)
  const hasty = await measureGateway(services, { eventsPerRequest: 1, connections: 50, hasty: true }, durationSec)
  const ten = await measureGateway(services, { eventsPerRequest: 10, connections: 50, hasty: false }, durationSec)
  const guaranteed200: Measured[] = []
  const hasty200: Measured[] = []
  for (let round = 0; round < rounds; round++) {
    guaranteed200.push(await measureGateway(services, { eventsPerRequest: 1, connections: 200, hasty: false }, durationSec))
    hasty200.push(await measureGateway(services, { eventsPerRequest: 1, connections: 200, hasty: true }, durationSec))
  }

  const tenMeasure = measure(ten)
  const bareTenMeasure = measure(bareTen)
  // What 10 events/request cannot cost less than: receiving and parsing the body (the bare
  // route) plus producing the records (the plain producer), per 1,000 events.
  const floor = (bareTenMeasure.cpuMsPer1k ?? Number.NaN) + plain.cpuMsPer1k
  const rows: Row[] = [
    { group, figure: 'gateway guaranteed 1 event/request, 50 connections', unit: 'requests/s', ...measure(one), baseline: { name: 'bare Fastify route, same body', ...measure(bare) }, target: { of: 'ratio', op: '>=', limit: 0.5 } },
    { group, figure: 'gateway guaranteed 1 event/request, 50 connections', unit: 'events/s', ...measure(one), baseline: producer },
    { group, figure: 'gateway guaranteed 10 events/request, 50 connections', unit: 'events/s', ...tenMeasure, baseline: producer, target: { of: 'ratio', op: '>=', limit: 0.8 } },
    {
      group,
      figure: 'gateway guaranteed 10 events/request, 50 connections',
      unit: 'CPU ms per 1,000 events',
      ...tenMeasure,
      value: tenMeasure.cpuMsPer1k!,
      baseline: { name: `floor: bare Fastify route, same body (${bareTenMeasure.cpuMsPer1k!.toFixed(1)}) + ${plainProducerName} (${plain.cpuMsPer1k.toFixed(1)})`, ...bareTenMeasure, value: floor, cpuMsPer1k: floor },
      digits: 1,
      target: { of: 'value', op: '<=', limit: 18 }
    },
    ...hastyRows(50, one, hasty),
    ...hastyRows(200, median(guaranteed200), median(hasty200))
  ]
  if (rounds > 1) {
    rows.push(p99SpreadRow('gateway guaranteed 1 event/request, 200 connections', guaranteed200))
    rows.push(p99SpreadRow('gateway hasty 1 event/request, 200 connections', hasty200))
  }
  const peak = (loads: readonly Measured[]): number => Math.max(...loads.map((l) => l.peakRssMb))
  const bareRss = { name: 'bare Fastify route', value: bare.peakRssMb, rssMb: bare.peakRssMb }
  rows.push({ group, figure: 'gateway peak RSS, 50 connections (1 and 10 events/request, hasty)', unit: 'MB', value: peak([one, hasty, ten]), rssMb: peak([one, hasty, ten]), baseline: bareRss, target: { of: 'value', op: '<=', limit: 150 } })
  rows.push({ group, figure: `gateway peak RSS, 200 connections (every round, guaranteed and hasty)`, unit: 'MB', value: peak([...guaranteed200, ...hasty200]), rssMb: peak([...guaranteed200, ...hasty200]), baseline: bareRss, target: { of: 'value', op: '<=', limit: 150 } })
  return { rows, plainProducer: plain.eventsPerSec }
}
