import { join } from 'node:path'
import { findFreePort } from '../src/local-kafka/index.js'
import { cpuMsPer1k } from './cpu.js'
import { loadHttp } from './http-load.js'
import type { HttpLoadResult } from './http-load.js'
import { benchPlainProducer, plainProducerName } from './plain-producer.js'
import { forkModule } from './processes.js'
import type { Measure, Row } from './report.js'
import { sampleEvent } from './sample-event.js'
import { startSluiceProcess } from './sluice-process.js'
import type { Services, SluiceProcess } from './sluice-process.js'

// The gateway's figures: `sluice gateway` in its own process, wrk with 50 connections in
// another. Baselines from the same run: the plain producer (same client, same
// records) and a bare Fastify route in its own process (same body, same load).

const connections = 50
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

export async function benchGateway (services: Services, durationSec: number): Promise<GatewayFigures> {
  const plainProducer = await benchPlainProducer(services.brokers, 'bench.plain', durationSec * 1000)
  const producer = { name: `${plainProducerName}, batches of 100`, value: plainProducer }

  const bare = await forkModule<{ port: number }>(join(services.dist, 'bench/bare-fastify.js'))
  let fastify: HttpLoadResult
  try {
    fastify = await loadHttp(`http://127.0.0.1:${bare.first.port}/v1/events`, { body: bodyOf(1), durationSec, connections, pid: bare.child.pid!, workDir: services.workDir })
  } finally {
    await bare.stop()
  }

  const gateway = await startGatewayProcess(services)
  let one: HttpLoadResult, ten: HttpLoadResult, hasty: HttpLoadResult
  try {
    const load = async (eventsPerRequest: number, query = ''): Promise<HttpLoadResult> => loadHttp(`${gateway.url}/v1/events${query}`, { body: bodyOf(eventsPerRequest), durationSec, connections, pid: gateway.pid, workDir: services.workDir })
    one = await load(1)
    ten = await load(10)
    hasty = await load(1, '?hasty=true')
  } finally {
    await gateway.stop()
  }
  for (const [name, result] of [['1 event/request', one], ['10 events/request', ten], ['hasty', hasty], ['bare Fastify', fastify]] as const) {
    if (result.failed > 0) console.error(`bench: ${name}: ${result.failed} requests failed or were not answered 2xx`)
  }

  const measure = (r: HttpLoadResult, eventsPerRequest = 1): Measure => ({
    value: r.requestsPerSec * eventsPerRequest,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    rssMb: r.peakRssMb,
    cpuMsPer1k: cpuMsPer1k(0, r.cpuSec, r.answered * eventsPerRequest)
  })
  const rows: Row[] = [
    { group, figure: 'gateway guaranteed 1 event/request', unit: 'requests/s', ...measure(one), baseline: { name: 'bare Fastify route, same body', ...measure(fastify) }, target: { of: 'ratio', op: '>=', limit: 0.5 } },
    { group, figure: 'gateway guaranteed 1 event/request', unit: 'events/s', ...measure(one), baseline: producer },
    { group, figure: 'gateway guaranteed 10 events/request', unit: 'events/s', ...measure(ten, 10), baseline: producer, target: { of: 'ratio', op: '>=', limit: 0.8 } },
    { group, figure: 'gateway hasty 1 event/request', unit: 'events/s', ...measure(hasty), baseline: { name: 'gateway guaranteed 1 event/request', ...measure(one) }, target: { of: 'ratio', op: '>=', limit: 1 } }
  ]
  const peak = Math.max(one.peakRssMb, ten.peakRssMb, hasty.peakRssMb)
  rows.push({ group, figure: 'gateway peak RSS over its loads', unit: 'MB', value: peak, rssMb: peak, baseline: { name: 'bare Fastify route', value: fastify.peakRssMb, rssMb: fastify.peakRssMb }, target: { of: 'value', op: '<=', limit: 150 } })
  return { rows, plainProducer }
}
