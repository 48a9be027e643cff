import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pino from 'pino'
import type { RuleSpec } from '../src/changeprop/index.js'
import { createTopics } from '../src/kafka/index.js'
import { revisionProducer, revisionTopic, seedRule } from './changeprop-events.js'
import { startChangepropProcess } from './changeprop-process.js'
import { plainConsumerMedian, plainConsumerName } from './plain-consumer.js'
import { forkModule, sleep, waitUntil } from './processes.js'
import type { Row } from './report.js'
import type { Services } from './sluice-process.js'
import { cpuMsPer1k, cpuSeconds } from './cpu.js'
import { rssMb, sampleRss } from './rss.js'
import { startSink } from './sink-client.js'
import type { Sink } from './sink-client.js'

// Change propagation's figures. `events` revision-create events are produced once; then, each
// against the same HTTP sink in its own process (it answers 200 at once):
//  - baseline: bare undici requests of the seed rule's shape, 30 at a time, from a process of their own;
//  - `sluice changeprop` in its own process with the seed rule, then with 20 copies of it (each
//    its own consumer group), reading the events from the beginning.
// Rates are counted at the sink over a window that starts 2 s after every rule executed its
// first event, so group joins do not count. RSS is the changeprop process's peak during its run;
// the CPU of an execution is the process's CPU time per 1,000 requests the sink served in the
// window, against the bare undici process's per request.

const group = 'changeprop'
const concurrency = 30

interface Run { value: number, rssMb: number, cpuMsPer1k: number }

/** The V8 heap (total, used) and the memory outside it, in MB, from the service's own /metrics (prom-client's process metrics). */
function memoryOf (metrics: string): string {
  const mb = (name: string): string => {
    const line = metrics.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    return line === undefined ? '-' : (Number(line.slice(line.lastIndexOf(' ') + 1)) / 1048576).toFixed(0)
  }
  return `heap ${mb('nodejs_heap_size_used_bytes')} of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB, RSS ${mb('process_resident_memory_bytes')} MB`
}

/**
 * Requests per second the sink served over `durationSec`, after `started()` holds and a 2 s
 * warm-up, and the CPU process `pid` spent per 1,000 of them meanwhile.
 */
async function measureAtSink (sink: Sink, pid: number, durationSec: number, started: () => Promise<boolean>): Promise<{ rate: number, servedBefore: number, servedAfter: number, cpuMsPer1k: number }> {
  await waitUntil('the first requests at the sink', started, 120000, 100)
  await sleep(2000)
  const before = await sink.report()
  const cpuBefore = await cpuSeconds(pid)
  await sleep(durationSec * 1000)
  const after = await sink.report()
  const served = after.served - before.served
  return { rate: served / ((after.lastMs - before.lastMs) / 1000), servedBefore: before.served, servedAfter: after.served, cpuMsPer1k: cpuMsPer1k(cpuBefore, await cpuSeconds(pid), served) }
}

async function bareUndici (services: Services, sink: Sink, durationSec: number): Promise<Run> {
  const bare = await forkModule<{ ready: boolean }>(join(services.dist, 'bench/bare-undici.js'))
  const rss = sampleRss(bare.child.pid!)
  try {
    const from = (await sink.report()).served
    bare.child.send({ cmd: 'start', origin: sink.url, concurrency })
    const { rate, cpuMsPer1k } = await measureAtSink(sink, bare.child.pid!, durationSec, async () => (await sink.report()).served > from)
    const { failed } = await bare.ask<{ sent: number, failed: number }>({ cmd: 'stop' })
    if (failed > 0) console.error(`bench: ${failed} bare undici requests failed`)
    return { value: rate, rssMb: rss.peakMb(), cpuMsPer1k }
  } finally {
    rss.stop()
    await bare.stop()
  }
}

async function changeprop (services: Services, options: { topicPrefix: string, sink: Sink, rules: Record<string, RuleSpec>, events: number, durationSec: number }): Promise<Run> {
  const from = (await options.sink.report()).served
  const service = await startChangepropProcess(services, { topicPrefix: options.topicPrefix, sinkUrl: options.sink.url, rules: options.rules })
  const readyMb = await rssMb(service.pid)
  const rss = sampleRss(service.pid)
  try {
    const { rate, servedBefore, servedAfter, cpuMsPer1k } = await measureAtSink(options.sink, service.pid, options.durationSec, service.allRulesRunning)
    const offered = options.events * Object.keys(options.rules).length
    if (servedBefore - from >= offered) console.error(`bench: change propagation ran out of events before its window; raise BENCH_CHANGEPROP_EVENTS (now ${options.events})`)
    else if (servedAfter - from >= offered) console.error(`bench: change propagation ran out of events within its window (its figures cover part of it, its profile idles); raise BENCH_CHANGEPROP_EVENTS (now ${options.events})`)
    console.error(`bench: changeprop with ${Object.keys(options.rules).length} rule(s): RSS ${readyMb.toFixed(0)} MB when ready; at the end of its window ${memoryOf(await service.metrics())}`)
    return { value: rate, rssMb: rss.peakMb(), cpuMsPer1k }
  } finally {
    rss.stop()
    await service.stop()
  }
}

export async function benchChangeprop (services: Services, options: { durationSec: number, events?: number }): Promise<Row[]> {
  const { brokers } = services
  const events = options.events ?? 150000
  const logger = pino({ level: 'warn' })
  const topicPrefix = `bench${randomUUID().slice(0, 8)}.`
  const topic = `${topicPrefix}${revisionTopic}`
  await createTopics(brokers, [{ name: topic, partitions: 1 }], { logger })
  const producer = await revisionProducer(brokers, topic, logger)
  try {
    await producer.produce(0, events)
  } finally {
    await producer.close()
  }
  // Silent: a new group retries while the broker's offsets topic is loading.
  const plain = await plainConsumerMedian(brokers, topic, events, pino({ level: 'silent' }))

  const sink = await startSink()
  let undici: Run, one: Run, twenty: Run
  try {
    undici = await bareUndici(services, sink, options.durationSec)
    const run = async (rules: Record<string, RuleSpec>): Promise<Run> => changeprop(services, { topicPrefix, sink, rules, events, durationSec: options.durationSec })
    one = await run({ page_edit: seedRule })
    twenty = await run(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`page_edit_${i + 1}`, seedRule])))
  } finally {
    await sink.stop()
  }

  const bare = { name: `bare undici, ${concurrency} in flight`, ...undici }
  const bareCpu = { name: 'bare undici request', value: undici.cpuMsPer1k, cpuMsPer1k: undici.cpuMsPer1k }
  return [
    { group, figure: 'changeprop 1 rule', unit: 'executions/s', ...one, baseline: bare, target: { of: 'ratio', op: '>=', limit: 0.6 } },
    { group, figure: 'changeprop 1 rule', unit: 'executions/s', ...one, baseline: { name: `${plainConsumerName} (read only)`, value: plain } },
    { group, figure: 'changeprop 20 rules, one topic', unit: 'executions/s', ...twenty, baseline: bare, target: { of: 'ratio', op: '>=', limit: 0.4 } },
    { group, figure: 'changeprop 1 rule, CPU of an execution', unit: 'ms/1k', value: one.cpuMsPer1k, cpuMsPer1k: one.cpuMsPer1k, baseline: bareCpu, target: { of: 'ratio', op: '<=', limit: 1.6 } },
    { group, figure: 'changeprop 20 rules, CPU of an execution', unit: 'ms/1k', value: twenty.cpuMsPer1k, cpuMsPer1k: twenty.cpuMsPer1k, baseline: bareCpu, target: { of: 'ratio', op: '<=', limit: 1.6 } },
    { group, figure: 'changeprop 20 rules on one topic, peak RSS', unit: 'MB', value: twenty.rssMb, rssMb: twenty.rssMb, baseline: { name: 'bare undici process', value: undici.rssMb, rssMb: undici.rssMb }, target: { of: 'value', op: '<=', limit: 200 } }
  ]
}
