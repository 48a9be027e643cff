import { advanceGroupOffsets } from '../../kafka/index.js'
import { retryGroupOf, topicOf } from '../../stream-config/index.js'
import type { CompiledRule } from '../rules/compile.js'
import type { ConsumersDeps } from './deps.js'
import { deferredTopics, namingFor } from './topics.js'

/** A rule's consumers of another datacenter's topics: the rule, that datacenter's prefix and the takeover group. */
export interface Takeover {
  rule: CompiledRule
  prefix: string
  group: string
}

/**
 * Another datacenter's topics start where its own deployment most likely stopped: the takeover
 * group's committed position, or `takeover_lookback_ms` ago if that is later (a first takeover,
 * or one after a switch back). Events in that window may run twice; none before it is lost as
 * long as the other deployment was less than the window behind.
 */
export async function positionTakeover (deps: Omit<ConsumersDeps, 'metrics'>, takeover: Takeover, topics: string[]): Promise<void> {
  const { config } = deps
  const since = Date.now() - config.takeover_lookback_ms
  const { kafka } = config
  const targets = [
    { group: takeover.group, names: topics.map((topic) => topicOf(topic, namingFor(config, takeover.prefix))) },
    { group: retryGroupOf(takeover.group), names: deferredTopics(config, takeover.rule, topics, takeover.prefix) }
  ]
  for (const { group, names } of targets) {
    const result = await advanceGroupOffsets(kafka.brokers, group, names, since, { clientId: kafka.client_id, logger: deps.logger, security: deps.security })
    deps.log.info({ rule: takeover.rule.name, group, since: new Date(since).toISOString(), ...result }, 'taking over another datacenter\'s topics')
  }
}
