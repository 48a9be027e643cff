import type { MirrorBenchResult } from './mirror.js'
import { plainProducerName } from './plain-producer.js'
import type { Row } from './report.js'

// MirrorMaker's figures (bench/mirror.ts) as rows of the one table.

export function mirrorRows (mirror: MirrorBenchResult, plainProducer: number): Row[] {
  return [
    { group: 'mirror', figure: 'MirrorMaker 2 replication lag at a steady rate', unit: 'events/s', value: mirror.rate, p50Ms: mirror.lagP50Ms, p99Ms: mirror.lagP99Ms },
    { group: 'mirror', figure: `MirrorMaker 2 backlog of ${mirror.backlogRecords}`, unit: 'events/s', value: mirror.backlogPerSec, baseline: { name: plainProducerName, value: plainProducer } }
  ]
}
