import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFreePort, startLocalBroker } from '../src/local-kafka/index.js'
import type { LocalBrokerSecurity } from '../src/local-kafka/index.js'
import { buildSluice } from './build.js'
import { benchChangeprop } from './changeprop.js'
import { benchCloudEvents } from './cloudevents.js'
import { benchCodecs, codecRows, formatCodecTable } from './codecs.js'
import type { CodecFigure } from './codecs.js'
import { benchGateway } from './gateway.js'
import { benchMirror } from './mirror.js'
import { mirrorRows } from './other-rows.js'
import { benchPlainProducer } from './plain-producer.js'
import { formatTable, jsonRow } from './report.js'
import type { Row } from './report.js'
import type { Services } from './sluice-process.js'
import { soak } from './soak.js'
import { benchStreams, checkOpenFiles, defaultIdleClients } from './streams.js'

// `npm run bench`: every figure is measured against a fresh local broker in this run next to a
// baseline measured in the same run on the same broker, so numbers from different machines
// compare by their ratios. One table at the end; `-- --json` prints it as one JSON document on
// stdout instead (everything else goes to stderr). `-- --soak` (or BENCH_SOAK_MINUTES) runs the
// soak instead of the figures.

const usage = `Usage: npm run bench [-- --json] [-- --soak]
  BENCH_ONLY=gateway,cloudevents,changeprop,streams,mirror,codecs  the groups to run (default all)
  BENCH_SECONDS=8                               measured seconds per figure, after a 2 s warm-up
  BENCH_GATEWAY_ROUNDS=2                        rounds of guaranteed and hasty at 200 connections
  BENCH_SOAK_MINUTES=10                         the soak's length (--soak)
  streams (docs/streams.md#performance):
  BENCH_STREAMS_CLIENTS=500                     SSE clients of the fan-out capacity search
  BENCH_STREAMS_RATE=100                        events/s of the search's first step
  BENCH_STREAMS_STEP_FACTOR=1.5                 each next step offers this many times the one before
  BENCH_STREAMS_STEP_SECONDS=3                  measured seconds per step, after a 1.5 s warm-up
  BENCH_STREAMS_IDLE=10000                      idle clients held by one process (ulimit -n must allow them)
  BENCH_STREAMS_CATCHUP=500000                  events the catch-up client reads from ?since=0
  BENCH_STREAMS_PROFILE=DIR                     a CPU profile of the service of the fan-out`

const groups = ['gateway', 'cloudevents', 'changeprop', 'streams', 'mirror', 'codecs'] as const
type Group = typeof groups[number]

const root = fileURLToPath(new URL('..', import.meta.url))
const optionalNumber = (name: string): number | undefined => process.env[name] === undefined ? undefined : Number(process.env[name])

interface Options { json: boolean, soakMinutes?: number, only: Group[], durationSec: number }

function parseOptions (args: readonly string[]): Options | string {
  const unknown = args.filter((arg) => arg !== '--json' && arg !== '--soak')
  if (unknown.length > 0) return `unknown argument ${unknown.join(' ')}`
  const only = (process.env.BENCH_ONLY ?? groups.join(',')).split(',').map((g) => g.trim()).filter((g) => g !== '')
  const wrong = only.filter((g) => !(groups as readonly string[]).includes(g))
  if (wrong.length > 0) return `BENCH_ONLY: unknown group ${wrong.join(', ')}`
  const soakMinutes = optionalNumber('BENCH_SOAK_MINUTES') ?? (args.includes('--soak') ? 10 : undefined)
  if (soakMinutes !== undefined && !(soakMinutes > 0)) return 'BENCH_SOAK_MINUTES must be a positive number'
  return { json: args.includes('--json'), soakMinutes, only: only as Group[], durationSec: optionalNumber('BENCH_SECONDS') ?? 8 }
}

/** The figures of the codecs group, printed as a table of their own too. */
interface Figures { rows: Row[], codecs: CodecFigure[] }

async function figures (options: Options, workDir: string, brokers: string[], security: LocalBrokerSecurity | undefined, dist: () => Promise<string>): Promise<Figures> {
  const rows: Row[] = []
  let codecs: CodecFigure[] = []
  const { durationSec } = options
  let plainProducer: number | undefined
  const services = async (): Promise<Services> => ({ root, workDir, brokers, dist: await dist() })
  for (const group of options.only) {
    const started = performance.now()
    console.log(`${group} …`)
    if (group === 'gateway') {
      const gateway = await benchGateway(await services(), { durationSec, rounds: optionalNumber('BENCH_GATEWAY_ROUNDS') })
      rows.push(...gateway.rows)
      plainProducer = gateway.plainProducer
    } else if (group === 'cloudevents') {
      rows.push(...await benchCloudEvents(await services(), durationSec))
    } else if (group === 'changeprop') {
      rows.push(...await benchChangeprop(await services(), { durationSec, events: optionalNumber('BENCH_CHANGEPROP_EVENTS') }))
    } else if (group === 'streams') {
      rows.push(...await benchStreams(await services(), findFreePort, {
        stepSec: optionalNumber('BENCH_STREAMS_STEP_SECONDS'),
        clients: optionalNumber('BENCH_STREAMS_CLIENTS'),
        rate: optionalNumber('BENCH_STREAMS_RATE'),
        stepFactor: optionalNumber('BENCH_STREAMS_STEP_FACTOR'),
        catchUpEvents: optionalNumber('BENCH_STREAMS_CATCHUP'),
        idleClients: optionalNumber('BENCH_STREAMS_IDLE'),
        profileDir: process.env.BENCH_STREAMS_PROFILE
      }))
    } else if (group === 'codecs') {
      codecs = await benchCodecs(await services(), security, durationSec)
      rows.push(...codecRows(codecs))
    } else {
      plainProducer ??= (await benchPlainProducer(brokers, 'bench.plain.mirror', durationSec * 1000)).eventsPerSec
      rows.push(...mirrorRows(await benchMirror(brokers, { durationSec }), plainProducer))
    }
    console.log(`${group}: ${((performance.now() - started) / 1000).toFixed(0)} s`)
  }
  return { rows, codecs }
}

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (typeof options === 'string') {
    console.error(`bench: ${options}\n${usage}`)
    process.exitCode = 2
    return
  }
  // With --json, stdout carries the document alone: the progress lines (also those of the
  // stream service's figures) go to stderr.
  if (options.json) console.log = console.error.bind(console)
  const started = performance.now()
  // Before the broker starts: the stream figures' idle clients need open files that only the shell can grant.
  if (options.soakMinutes === undefined && options.only.includes('streams')) await checkOpenFiles(optionalNumber('BENCH_STREAMS_IDLE') ?? defaultIdleClients)
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'))
  let rows: Row[]
  let codecs: CodecFigure[] = []
  try {
    // The services under test run from dist/ (bench/build.ts), built while the broker starts,
    // when a group needs them.
    let building: Promise<string> | undefined
    const dist = async (): Promise<string> => {
      building ??= buildSluice(root, workDir)
      return building
    }
    if (options.soakMinutes !== undefined || options.only.some((g) => g !== 'mirror')) dist().catch(() => {})
    // Full JIT for the broker: the test default stops at C1 for fast start-up, not throughput.
    // The secured listeners (TLS, SASL) only for the codecs group's SASL_SSL figure.
    const broker = await startLocalBroker({ port: await findFreePort(), dataDir: join(workDir, 'kafka'), fresh: true, jvmOptions: ['-Xms512m', '-Xmx1g'], security: options.only.includes('codecs') })
    const brokers = [broker.bootstrap]
    try {
      if (options.soakMinutes !== undefined) {
        console.log(`broker ${broker.bootstrap}; soak of ${options.soakMinutes} min`)
        rows = await soak({ root, workDir, brokers, dist: await dist() }, options.soakMinutes)
      } else {
        console.log(`broker ${broker.bootstrap}; ${options.durationSec} s per figure after a 2 s warm-up; groups ${options.only.join(', ')}`)
        const measured = await figures(options, workDir, brokers, broker.security, dist)
        rows = measured.rows
        codecs = measured.codecs
      }
    } finally {
      await broker.stop()
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  const totalSec = (performance.now() - started) / 1000
  // The machine's 1, 5 and 15-minute load averages: other work on shared cores moves every figure.
  const loadAverage = loadavg().map((l) => Number(l.toFixed(2)))
  const machine = `${availableParallelism()} cores, load average ${loadAverage.join(' ')} at the end`
  if (options.json) {
    // Three decimals are plenty for figures this noisy.
    const rounded = (_: string, x: unknown): unknown => typeof x === 'number' && !Number.isInteger(x) ? Math.round(x * 1000) / 1000 : x
    process.stdout.write(`${JSON.stringify({
      mode: options.soakMinutes === undefined ? 'bench' : 'soak',
      groups: options.soakMinutes === undefined ? options.only : ['soak'],
      secondsPerFigure: options.durationSec,
      soakMinutes: options.soakMinutes ?? null,
      totalSeconds: Math.round(totalSec),
      node: process.version,
      cores: availableParallelism(),
      loadAverage,
      rows: rows.map(jsonRow),
      codecs
    }, rounded, 2)}\n`)
  } else {
    console.log(`\n${formatTable(rows)}\n\n${rows.length} figures in ${totalSec.toFixed(0)} s; ${machine}`)
    if (codecs.length > 0) console.log(`\nkafka.compression, gateway at 10 events per request (bytes the gateway sent the broker; CPU of the gateway process):\n${formatCodecTable(codecs)}`)
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
