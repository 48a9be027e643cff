import { createEventConsumer } from '../../kafka/index.js'
import type { EventConsumer, PartitionProgress } from '../../kafka/index.js'
import type { ChangepropSource } from '../../metrics/changeprop.js'
import { delayedStreamOf, retryGroupOf, topicOf } from '../../stream-config/index.js'
import type { CompiledRule } from '../rules/compile.js'
import type { RuleRunner } from '../runner/index.js'
import type { ConsumersDeps } from './deps.js'
import { deferredTopics, namingFor } from './topics.js'

/** One rule's two consumers of one datacenter's topics. */
export interface RuleConsumers {
  rule: CompiledRule
  runner: RuleRunner
  /** The datacenter prefix of the topics it reads: this deployment's, or one it took over. */
  prefix: string
  /** Its consumer groups: `<service>-<rule>` at home, `<service>-<rule>.takeover.<datacenter>` for another's topics. */
  group: string
  main: EventConsumer | undefined
  retry: EventConsumer | undefined
  /** The topics consumed now, without prefix. */
  topics: string[]
}

/** Creates and starts a rule's two consumers on `topics`; `fresh` ones start from their oldest event. */
export async function startRule (deps: ConsumersDeps, entry: RuleConsumers, topics: string[], fresh: string[]): Promise<void> {
  const { config } = deps
  const { kafka } = config
  const { rule, runner, prefix } = entry
  const common = {
    brokers: kafka.brokers,
    clientId: kafka.client_id,
    concurrency: rule.concurrency,
    commitIntervalMs: kafka.commit_interval_ms,
    sessionTimeoutMs: kafka.session_timeout_ms,
    heartbeatIntervalMs: kafka.heartbeat_interval_ms,
    progressIntervalMs: kafka.progress_interval_ms,
    fetchMaxBytes: kafka.fetch_max_bytes,
    security: deps.security,
    logger: deps.logger.child({ rule: rule.name })
  }
  const main = createEventConsumer({
    ...common,
    groupId: entry.group,
    topics: topics.map((topic) => topicOf(topic, namingFor(config, prefix))),
    fromBeginning: kafka.from_beginning,
    topicsFromBeginning: fresh.map((topic) => topicOf(topic, namingFor(config, prefix))),
    onProgress: progressReporter(deps, rule.name, 'main', prefix)
  })
  const retry = createEventConsumer({
    ...common,
    // Most of its events wait for their time, holding no execution slot (exec-slots.ts).
    concurrency: rule.concurrency + config.max_waiting_events,
    groupId: retryGroupOf(entry.group),
    topics: deferredTopics(config, rule, topics, prefix),
    // Retry and delay events are never skipped, even by a group that is new.
    fromBeginning: true,
    onProgress: progressReporter(deps, rule.name, 'retry', prefix)
  })
  entry.main = main
  entry.retry = retry
  try {
    await main.start(async (message, signal) => runner.handleMain(message, signal))
    await retry.start(async (message, signal) => runner.handleRetry(message, signal))
  } catch (err) {
    // Left without topics, so that the next refresh tries the whole set again.
    entry.main = undefined
    entry.retry = undefined
    await Promise.allSettled([main.close({ drainTimeoutMs: 0 }), retry.close({ drainTimeoutMs: 0 })])
    throw err
  }
  entry.topics = topics
  deps.log.info({ rule: rule.name, topics, fresh }, 'rule started')
}

/** Closes a rule's consumers, letting their in-flight events finish for `drainTimeoutMs`; it is left without topics. */
export async function stopRule (entry: RuleConsumers, drainTimeoutMs: number): Promise<void> {
  await Promise.all([entry.main, entry.retry].map(async (consumer) => consumer?.close({ drainTimeoutMs })))
  entry.main = undefined
  entry.retry = undefined
  entry.topics = []
}

function progressReporter (deps: ConsumersDeps, rule: string, source: ChangepropSource, prefix: string): (p: PartitionProgress) => void {
  const { config, metrics } = deps
  return (p) => {
    // The retry consumer also reads the rule's delay topics.
    const of = source === 'retry' && delayedStreamOf(config.service_name, p.topic, namingFor(config, prefix)) !== undefined ? 'delay' : source
    const labels = { rule, source: of, topic: p.topic, partition: String(p.partition) }
    metrics.commitLag.set(labels, p.lag)
    metrics.oldestUnfinished.set(labels, p.oldestUnfinishedMs / 1000)
  }
}

/** Every consumer running. */
export function consumersOf (entries: readonly RuleConsumers[]): EventConsumer[] {
  return entries.flatMap((c) => [c.main, c.retry]).filter((c): c is EventConsumer => c !== undefined)
}

/** The rules (`<rule> (retry)` for a retry consumer) whose consumers have not joined their groups. */
export function notReady (entries: readonly RuleConsumers[]): string[] {
  return entries.flatMap((c) => [
    ...(c.main !== undefined && !c.main.isReady() ? [`${c.rule.name}`] : []),
    ...(c.retry !== undefined && !c.retry.isReady() ? [`${c.rule.name} (retry)`] : [])
  ])
}

/** The rules whose consumers crashed for good (a restart of the process fixes them). */
export function failed (entries: readonly RuleConsumers[]): string[] {
  return entries.flatMap((c) => [
    ...(c.main?.hasFailed() === true ? [c.rule.name] : []),
    ...(c.retry?.hasFailed() === true ? [`${c.rule.name} (retry)`] : [])
  ])
}
