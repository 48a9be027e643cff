import { createTopics, listTopics } from '../../kafka/index.js'
import { delayTopicOf, errorTopicOf, namingOf, retryTopicOf, streamOf, topicOf } from '../../stream-config/index.js'
import type { TopicNaming } from '../../stream-config/index.js'
import type { ChangepropConfig } from '../config.js'
import { TopicsMissingError } from '../errors.js'
import type { Partitioner } from '../modules/partition.js'
import type { CompiledRule } from '../rules/compile.js'
import type { ConsumersDeps } from './deps.js'

// The topics of every rule: which it reads (its own and those its regexes match, less those it
// excludes; their retry and delay topics), and creating them before its consumers start.

/**
 * How the topics of the datacenter with `prefix` are named: this one's, or another's taken over.
 * A legacy stream's bare name belongs to the legacy home only, so a takeover never reads the
 * topic this datacenter's own groups read.
 */
export function namingFor (config: Readonly<ChangepropConfig>, prefix: string): TopicNaming {
  return namingOf(prefix, config.legacy_topics_home ?? config.topic_prefix)
}

/** The streams a rule reads in the datacenter with `prefix`: its topics and those of `cluster` its regexes match, less those it excludes. */
export async function resolveTopics (config: Readonly<ChangepropConfig>, rule: CompiledRule, prefix: string, cluster: () => Promise<readonly string[]>): Promise<string[]> {
  const names = new Set(rule.topics)
  if (rule.topicPatterns.length > 0) {
    for (const name of await cluster()) {
      const stream = streamOf(name, namingFor(config, prefix))
      if (stream !== undefined && rule.topicPatterns.some((pattern) => pattern.test(stream))) names.add(stream)
    }
  }
  for (const excluded of rule.excludeTopics) names.delete(excluded)
  return [...names].sort()
}

/** The topics of a rule's retry consumer: the retry topics of `topics`, and their delay topics when the rule delays. */
export function deferredTopics (config: Readonly<ChangepropConfig>, rule: CompiledRule, topics: readonly string[], prefix: string): string[] {
  return topics.flatMap((topic) => [
    retryTopicOf(config.service_name, topic, namingFor(config, prefix)),
    ...(rule.delay === undefined ? [] : [delayTopicOf(config.service_name, topic, namingFor(config, prefix))])
  ])
}

/** The cluster's topics, listed once however many rules ask (the first rule's regex asks). */
export function clusterTopics (deps: Pick<ConsumersDeps, 'config' | 'logger' | 'security'>): () => Promise<string[]> {
  let listed: Promise<string[]> | undefined
  return async () => {
    listed ??= listTopics(deps.config.kafka.brokers, { clientId: deps.config.kafka.client_id, logger: deps.logger, security: deps.security })
    return listed
  }
}

/** Creates the topics rules read and write; with `create_topics: false`, checks that those they read exist. */
export async function createRuleTopics (deps: Pick<ConsumersDeps, 'config' | 'logger' | 'security'>, resolved: ReadonlyArray<{ rule: CompiledRule, topics: readonly string[] }>, prefix: string): Promise<void> {
  const { config } = deps
  const { kafka } = config
  const consumed = new Set<string>()
  for (const { rule, topics } of resolved) {
    for (const topic of topics) consumed.add(topicOf(topic, namingFor(config, prefix)))
    for (const name of deferredTopics(config, rule, topics, prefix)) consumed.add(name)
  }
  if (!kafka.create_topics) {
    const existing = new Set(await listTopics(kafka.brokers, { clientId: kafka.client_id, logger: deps.logger, security: deps.security }))
    const missing = [...consumed].filter((name) => !existing.has(name)).sort()
    if (missing.length > 0) throw new TopicsMissingError(missing)
    return
  }
  const names = [errorTopicOf(config.service_name, namingFor(config, config.topic_prefix)), ...consumed]
  await createTopics(kafka.brokers, names.map((name) => ({ name, partitions: kafka.topic_partitions })), { logger: deps.logger, security: deps.security })
}

/**
 * The partition streams of the rules calling `/sys/partition/` need as many partitions as
 * the map names; created so at startup (a topic created later by the first event would get
 * the broker's default, and the extra partitions' events would land on the first ones).
 */
export async function createPartitionTopics (deps: Pick<ConsumersDeps, 'config' | 'logger'>, rules: readonly CompiledRule[], partitioner: Partitioner | undefined): Promise<void> {
  const { config } = deps
  if (partitioner === undefined || !config.kafka.create_topics) return
  const streams = new Set<string>()
  for (const rule of rules) {
    if (!rule.cases.some((c) => c.exec.some((step) => step.module === 'partition'))) continue
    for (const topic of rule.topics) {
      const stream = partitioner.streamFor(topic)
      if (stream !== undefined) streams.add(stream)
    }
  }
  if (streams.size === 0) return
  const topics = [...streams].map((stream) => ({ name: topicOf(stream, namingFor(config, config.topic_prefix)), partitions: partitioner.partitions }))
  await createTopics(config.kafka.brokers, topics, { logger: deps.logger })
}
