import { randomUUID } from 'node:crypto'
import type { RuleSpec } from '../src/changeprop/index.js'
import { findFreePort } from '../src/local-kafka/index.js'
import { startSluiceProcess } from './sluice-process.js'
import type { Services, SluiceProcess } from './sluice-process.js'

// `sluice changeprop` in its own process with the given rules, reading `topic_prefix`'s topics
// from the beginning in fresh consumer groups (a new service name every time) and sending every
// request to the sink.

export interface ChangepropProcess extends SluiceProcess {
  /** True once every rule has finished an event from its main topic (all groups joined). */
  allRulesRunning(): Promise<boolean>
}

export async function startChangepropProcess (services: Services, options: { topicPrefix: string, sinkUrl: string, rules: Record<string, RuleSpec> }): Promise<ChangepropProcess> {
  const service = await startSluiceProcess(services, 'changeprop', {
    port: await findFreePort(),
    service_name: `bench-${randomUUID().slice(0, 8)}`,
    topic_prefix: options.topicPrefix,
    exec_origin_override: options.sinkUrl,
    concurrency: 30,
    shutdown_timeout_ms: 5000,
    kafka: { from_beginning: true },
    rules: options.rules
  })
  const names = Object.keys(options.rules)
  return {
    ...service,
    async allRulesRunning () {
      const lines = (await service.metrics()).split('\n').filter((line) => line.startsWith('sluice_changeprop_succeeded_total{') && line.includes('source="main"'))
      return names.every((name) => lines.some((line) => line.includes(`rule="${name}"`) && Number(line.slice(line.lastIndexOf(' ') + 1)) > 0))
    }
  }
}
