import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFreePort, startLocalBroker } from '../src/local-kafka/index.js'
import { benchPlainProducer, loadGateway, startGatewayProcess } from './gateway.js'
import type { Figure } from './gateway.js'
import { benchChangeprop } from './changeprop.js'
import { benchStreams, printStreamsFigures } from './streams.js'
import { benchMirror } from './mirror.js'

// `npm run bench`: every figure is measured against a fresh local broker in this run and
// printed as a ratio of a baseline measured on that same broker, so numbers from different
// machines compare by their ratios.

const root = fileURLToPath(new URL('..', import.meta.url))
const durationSec = Number(process.env.BENCH_SECONDS ?? 8)
/** BENCH_ONLY=gateway|streams|mirror runs only that group of figures. */
const only = process.env.BENCH_ONLY
const optionalNumber = (name: string): number | undefined => process.env[name] === undefined ? undefined : Number(process.env[name])

function row (cells: Array<string | number>): string {
  return cells.map((c, i) => String(c).padStart(i === 0 ? 0 : 12).padEnd(i === 0 ? 34 : 0)).join(' ')
}

async function main (): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'))
  // Full JIT for the broker: the test default stops at C1 for fast start-up, not throughput.
  const broker = await startLocalBroker({ port: await findFreePort(), dataDir: join(workDir, 'kafka'), fresh: true, jvmOptions: ['-Xms512m', '-Xmx1g'] })
  const brokers = [broker.bootstrap]
  try {
    console.log(`broker ${broker.bootstrap}; ${durationSec} s per figure after a 2 s warm-up\n`)
    if (only === undefined || only === 'gateway') await gatewayAndChangeprop(brokers, workDir)
    if (only === undefined || only === 'streams') {
      console.log('\nstream service (sluice streams):')
      const figures = await benchStreams(root, workDir, brokers, findFreePort, {
        durationSec,
        clients: optionalNumber('BENCH_STREAMS_CLIENTS'),
        rate: optionalNumber('BENCH_STREAMS_RATE'),
        catchUpEvents: optionalNumber('BENCH_STREAMS_CATCHUP'),
        idleClients: optionalNumber('BENCH_STREAMS_IDLE'),
        profileDir: process.env.BENCH_STREAMS_PROFILE
      })
      printStreamsFigures(figures, row)
    }
    if (only === undefined || only === 'mirror') {
      const plain = await benchPlainProducer(brokers, 'bench.plain.mirror', durationSec * 1000)
      const mirror = await benchMirror(brokers, { durationSec })
      console.log(`\nMirrorMaker 2 (eqiad → codfw, identity policy): at ${mirror.rate} events/s, replication lag p50 ${mirror.lagP50Ms} ms, p99 ${mirror.lagP99Ms} ms;`)
      console.log(`  a backlog of ${mirror.backlogRecords} records copied at ${mirror.backlogPerSec.toFixed(0)} events/s; plain producer in this run ${plain.toFixed(0)} events/s; ratio ${(mirror.backlogPerSec / plain).toFixed(3)}`)
    }
  } finally {
    await broker.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}

async function gatewayAndChangeprop (brokers: string[], workDir: string): Promise<void> {
  const plain = await benchPlainProducer(brokers, 'bench.plain', durationSec * 1000)
  console.log(`baseline: plain @platformatic/kafka producer (batches of 100, acks=-1, 4 in flight): ${plain.toFixed(0)} events/s\n`)

  const gateway = await startGatewayProcess(root, workDir, brokers, await findFreePort())
  const figures: Figure[] = []
  try {
    figures.push(await loadGateway(gateway.url, 'gateway, 1 event/request', { eventsPerRequest: 1, hasty: false, durationSec, connections: 50 }))
    figures.push(await loadGateway(gateway.url, 'gateway, 10 events/request', { eventsPerRequest: 10, hasty: false, durationSec, connections: 50 }))
    figures.push(await loadGateway(gateway.url, 'gateway, hasty, 1 event/request', { eventsPerRequest: 1, hasty: true, durationSec, connections: 50 }))
  } finally {
    await gateway.stop()
  }
  console.log(row(['figure', 'events/s', 'requests/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio']))
  for (const f of figures) {
    console.log(row([f.name, f.eventsPerSec.toFixed(0), f.requestsPerSec.toFixed(0), f.p50Ms, f.p99Ms, f.non2xx, (f.eventsPerSec / plain).toFixed(3)]))
  }

  const cp = await benchChangeprop(brokers, { durationSec })
  console.log(`\nchange propagation: ${cp.eventsPerSec.toFixed(0)} events/s topic → rule → HTTP sink; plain consumer read rate ${cp.plainConsumerEventsPerSec.toFixed(0)} events/s; ratio ${cp.ratio.toFixed(3)}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
