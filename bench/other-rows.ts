import type { MirrorBenchResult } from './mirror.js'
import { plainConsumerName } from './plain-consumer.js'
import { plainProducerName } from './plain-producer.js'
import type { Row, Target } from './report.js'
import type { StreamsFigure } from './streams.js'

// The stream service's and MirrorMaker's figures (bench/streams.ts, bench/mirror.ts) as rows
// of the one table.

function parseTarget (text: string): Target | undefined {
  const match = /^(>=|<=)\s*([\d.]+)$/.exec(text.trim())
  return match === null ? undefined : { of: 'value', op: match[1] as Target['op'], limit: Number(match[2]) }
}

/** `streams fan-out deliveries/s` → figure `streams fan-out`, unit `deliveries/s`. */
function split (name: string): { figure: string, unit: string } {
  const kb = /^(.*) KB (per .*)$/.exec(name)
  if (kb !== null) return { figure: `${kb[1]} memory ${kb[2]}`, unit: 'KB' }
  const latency = /^(.*) (p\d+) latency ms$/.exec(name)
  if (latency !== null) return { figure: `${latency[1]} latency ${latency[2]}`, unit: 'ms' }
  const unit = /^(.*?) (\S+\/s)$/.exec(name)
  return unit === null ? { figure: name, unit: '' } : { figure: unit[1]!, unit: unit[2]! }
}

export function streamsRows (figures: readonly StreamsFigure[]): Row[] {
  const latency = (which: string): StreamsFigure | undefined => figures.find((f) => f.name === `streams fan-out ${which} latency ms`)
  const p50 = latency('p50')
  const p99 = latency('p99')
  return figures.map((f) => {
    const baseline = { name: f.name.includes('catch-up') ? `${plainConsumerName}, median of 3` : 'bare Node SSE server, same frames', value: f.baseline }
    const row: Row = { group: 'streams', ...split(f.name), value: f.value, baseline, target: parseTarget(f.target), digits: f.digits }
    if (f.name === 'streams fan-out deliveries/s') {
      Object.assign(row, { p50Ms: p50?.value, p99Ms: p99?.value })
      Object.assign(baseline, { p50Ms: p50?.baseline, p99Ms: p99?.baseline })
    }
    return row
  })
}

export function mirrorRows (mirror: MirrorBenchResult, plainProducer: number): Row[] {
  return [
    { group: 'mirror', figure: 'MirrorMaker 2 replication lag at a steady rate', unit: 'events/s', value: mirror.rate, p50Ms: mirror.lagP50Ms, p99Ms: mirror.lagP99Ms },
    { group: 'mirror', figure: `MirrorMaker 2 backlog of ${mirror.backlogRecords}`, unit: 'events/s', value: mirror.backlogPerSec, baseline: { name: plainProducerName, value: plainProducer } }
  ]
}
