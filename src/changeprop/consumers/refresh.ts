import { listTopics } from '../../kafka/index.js'
import type { ConsumersDeps } from './deps.js'
import { startRule, stopRule } from './rule.js'
import type { RuleConsumers } from './rule.js'
import { createRuleTopics, resolveTopics } from './topics.js'

/**
 * A consumer's subscription is resolved once, when it starts; librdkafka, which the
 * reference runs on, re-reads regex subscriptions from metadata. So regex rules are
 * re-resolved here and restarted on a new topic set: the old consumers drain and commit,
 * the new ones rejoin the same groups and go on from the committed offsets.
 */
export interface TopicRefresh {
  /** Lists the cluster's topics and resubscribes the regex rules whose set changed; after a refresh under way. */
  refresh(): Promise<void>
  /** Refreshes every `kafka.topic_refresh_interval_ms` from now on, while the service runs and has a regex rule. */
  schedule(): void
  /** Schedules no more; settles when a refresh under way has finished its step (each step checks `running`). */
  stop(): Promise<void>
}

/** `running`: started and not shutting down; no consumer starts once it is false. */
export function createTopicRefresh (deps: ConsumersDeps, entries: readonly RuleConsumers[], running: () => boolean): TopicRefresh {
  const { config, log } = deps
  let timer: NodeJS.Timeout | undefined
  let refreshing: Promise<void> = Promise.resolve()

  async function refreshAll (): Promise<void> {
    if (!running()) return
    const regexRules = entries.filter((entry) => entry.rule.topicPatterns.length > 0)
    if (regexRules.length === 0) return
    const { kafka } = config
    const names = await listTopics(kafka.brokers, { clientId: kafka.client_id, logger: deps.logger, security: deps.security })
    for (const entry of regexRules) {
      if (!running()) return
      await refreshRule(deps, entry, names, running)
    }
  }

  function schedule (): void {
    const interval = config.kafka.topic_refresh_interval_ms
    if (interval === 0 || !running() || !entries.some((entry) => entry.rule.topicPatterns.length > 0)) return
    timer = setTimeout(() => {
      timer = undefined
      refresh()
        .catch((err: unknown) => { log.warn({ err }, 'refreshing the topics of regex rules failed; trying again later') })
        .finally(schedule)
    }, interval)
  }

  async function refresh (): Promise<void> {
    refreshing = refreshing.then(refreshAll, refreshAll)
    return refreshing
  }

  return {
    refresh,
    schedule,
    async stop () {
      clearTimeout(timer)
      await refreshing.catch(() => undefined)
    }
  }
}

/** Resubscribes one regex rule when the topics of `names` it matches changed. */
async function refreshRule (deps: ConsumersDeps, entry: RuleConsumers, names: readonly string[], running: () => boolean): Promise<void> {
  const { config } = deps
  const topics = await resolveTopics(config, entry.rule, entry.prefix, async () => names)
  const fresh = topics.filter((topic) => !entry.topics.includes(topic))
  const gone = entry.topics.filter((topic) => !topics.includes(topic))
  if (fresh.length === 0 && gone.length === 0) return
  deps.log.info({ rule: entry.rule.name, fresh, gone }, 'the topics matching the rule changed; resubscribing')
  await createRuleTopics(deps, [{ rule: entry.rule, topics: fresh }], entry.prefix)
  await stopRule(entry, config.shutdown_timeout_ms)
  if (!running()) return
  if (topics.length > 0) await startRule(deps, entry, topics, fresh)
}
