import { ruleGroupOf } from '../../stream-config/index.js'
import type { CompiledRule } from '../rules/compile.js'
import type { RuleRunner } from '../runner/index.js'
import type { ConsumersDeps } from './deps.js'
import { startRule } from './rule.js'
import type { RuleConsumers } from './rule.js'
import { positionTakeover } from './takeover.js'
import { clusterTopics, createRuleTopics, resolveTopics } from './topics.js'

/**
 * For each datacenter whose topics this deployment consumes (`consume_topic_prefixes`, by default
 * its own): resolves every rule's topics, creates them, and starts the rule's consumers, positioned
 * first when the topics are another datacenter's. `entries` gets each rule's as it is made, so that
 * a start that fails half-way still closes what it started. A rule whose regexes match no topic yet
 * is kept without consumers; the topic refresh starts it when one appears.
 */
export async function startRules (deps: ConsumersDeps, entries: RuleConsumers[], rules: readonly CompiledRule[], runnerFor: (rule: CompiledRule, prefix: string) => RuleRunner): Promise<void> {
  const { config, log } = deps
  const cluster = clusterTopics(deps)
  for (const prefix of config.consume_topic_prefixes ?? [config.topic_prefix]) {
    const resolved = await Promise.all(rules.map(async (rule) => ({ rule, topics: await resolveTopics(config, rule, prefix, cluster) })))
    await createRuleTopics(deps, resolved, prefix)
    for (const { rule, topics } of resolved) {
      const group = ruleGroupOf(config.service_name, rule.name, prefix, config.topic_prefix)
      const entry: RuleConsumers = { rule, runner: runnerFor(rule, prefix), prefix, group, topics: [], main: undefined, retry: undefined }
      entries.push(entry)
      if (topics.length === 0) {
        log.warn({ rule: rule.name, prefix }, 'rule has no topic to consume (its topic regex matches none yet); it starts when one appears')
        continue
      }
      if (prefix !== config.topic_prefix) await positionTakeover(deps, entry, topics)
      await startRule(deps, entry, topics, [])
    }
  }
}
