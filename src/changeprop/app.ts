import { Agent } from 'undici'
import type { Dispatcher } from 'undici'
import { createEventConsumer, createEventProducer, createTopics, listTopics } from '../kafka/index.js'
import type { EventConsumer, EventProducer, PartitionProgress } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import { createChangepropMetrics } from '../metrics/changeprop.js'
import type { ChangepropMetrics, ChangepropSource } from '../metrics/changeprop.js'
import { createKafkaMetrics } from '../metrics/kafka.js'
import type { Registry } from '../metrics/registry.js'
import { startAdminServer } from './admin.js'
import type { AdminServer, HealthReport } from './admin.js'
import type { ChangepropConfig } from './config.js'
import { createMemoryDedupeStore, createRedisDedupeStore } from './dedupe.js'
import type { DedupeStore } from './dedupe.js'
import { createHttpExecutor } from './exec.js'
import { createMemoryLimiterStore, createRedisLimiterStore } from './limiter.js'
import type { LimiterStore, LimiterTypes } from './limiter.js'
import { createRedisClient } from './redis.js'
import type { Redis } from './redis.js'
import { errorTopicOf, retryTopicOf } from './retry.js'
import { compileRules } from './rules/load.js'
import type { CompiledRule } from './rules/compile.js'
import { createRuleRunner } from './runner.js'

export interface ChangepropDeps {
  logger: Logger
  registry: Registry
  /** A shared producer (e.g. the gateway's in `sluice up`); created from `kafka` when absent. */
  producer?: EventProducer
  /** How exec requests are sent; an undici Agent is created when absent. */
  dispatcher?: Dispatcher
}

export interface Changeprop {
  /** Connects, resolves topics, starts the admin server and every rule's consumers. */
  start(): Promise<void>
  /**
   * Stops fetching, lets in-flight events finish for up to `shutdown_timeout_ms` (the rest
   * are abandoned uncommitted, to run again after restart), commits what finished,
   * then closes the producer, Redis and the admin server.
   */
  close(): Promise<void>
  /** The admin server's port once started (useful with `port: 0`). */
  readonly port?: number
  isReady(): boolean
}

interface RuleConsumers {
  rule: CompiledRule
  main: EventConsumer | undefined
  retry: EventConsumer | undefined
  topics: string[]
}

/**
 * Builds the change-propagation service from a loaded configuration. Nothing is
 * connected or started until `start()`.
 *
 * Each rule gets two consumer groups: `<service>-<rule>` for its topics and
 * `<service>-<rule>-retry` for its retry topics. Separate groups keep a retry that is
 * waiting for its time from holding up new events, and keep a rejoin of one consumer from
 * rebalancing the other (the reference shared one group id between both).
 */
export function buildChangeprop (config: Readonly<ChangepropConfig>, deps: ChangepropDeps): Changeprop {
  const log = deps.logger.child({ module: 'changeprop' })
  const rules = compileRules(config)
  const metrics: ChangepropMetrics = createChangepropMetrics(deps.registry)
  const ownsProducer = deps.producer === undefined
  const ownsDispatcher = deps.dispatcher === undefined
  let producer: EventProducer | undefined = deps.producer
  let dispatcher: Dispatcher | undefined = deps.dispatcher
  let redis: Redis | undefined
  let admin: AdminServer | undefined
  let consumers: RuleConsumers[] = []
  let started = false
  let closing = false

  const limiterTypes: LimiterTypes = new Map(Object.entries(config.limiters).map(([type, spec]) => [
    type,
    (Array.isArray(spec) ? spec : [spec]).map((w) => ({ intervalMs: w.interval_ms, limit: w.limit }))
  ]))

  function allConsumers (): EventConsumer[] {
    return consumers.flatMap((c) => [c.main, c.retry]).filter((c): c is EventConsumer => c !== undefined)
  }

  function readiness (): HealthReport {
    const notReady = consumers.flatMap((c) => [
      ...(c.main !== undefined && !c.main.isReady() ? [`${c.rule.name}`] : []),
      ...(c.retry !== undefined && !c.retry.isReady() ? [`${c.rule.name} (retry)`] : [])
    ])
    const producerReady = producer?.isReady() ?? false
    const ok = started && !closing && notReady.length === 0 && producerReady
    return { ok, details: { rules: consumers.length, consumers_not_ready: notReady, producer_ready: producerReady, closing } }
  }

  function health (): HealthReport {
    // A consumer kafkajs does not restart leaves its rule dead; a restart of the process fixes it.
    const failed = consumers.flatMap((c) => [
      ...(c.main?.hasFailed() === true ? [c.rule.name] : []),
      ...(c.retry?.hasFailed() === true ? [`${c.rule.name} (retry)`] : [])
    ])
    return { ok: failed.length === 0, details: { started, closing, consumers_failed: failed } }
  }

  async function resolveTopics (rule: CompiledRule, cluster: () => Promise<string[]>): Promise<string[]> {
    const names = new Set(rule.topics)
    if (rule.topicPatterns.length > 0) {
      for (const name of await cluster()) {
        if (!name.startsWith(config.topic_prefix)) continue
        const bare = name.slice(config.topic_prefix.length)
        if (rule.topicPatterns.some((pattern) => pattern.test(bare))) names.add(bare)
      }
    }
    for (const excluded of rule.excludeTopics) names.delete(excluded)
    return [...names].sort()
  }

  function progressReporter (rule: string, source: ChangepropSource): (p: PartitionProgress) => void {
    return (p) => { metrics.commitLag.set({ rule, source, topic: p.topic, partition: String(p.partition) }, p.lag) }
  }

  const changeprop: Changeprop = {
    get port () { return admin?.port },

    isReady () { return readiness().ok },

    async start () {
      if (started) throw new Error('change propagation already started')
      started = true
      const { kafka } = config
      if (kafka.brokers.length === 0) throw new Error('no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS)')
      admin = await startAdminServer({ host: config.listen_address, port: config.port, registry: deps.registry, health, readiness })

      producer ??= createEventProducer({
        brokers: kafka.brokers,
        clientId: `${kafka.client_id}-producer`,
        lingerMs: kafka.linger_ms,
        maxBatchRecords: kafka.max_batch_records,
        produceTimeoutMs: kafka.produce_timeout_ms,
        logger: deps.logger,
        metrics: createKafkaMetrics(deps.registry)
      })
      if (ownsProducer) await producer.connect()
      dispatcher ??= new Agent({ keepAliveTimeout: 4000, connections: 256 })

      let dedupe: DedupeStore
      let limiter: LimiterStore
      if (config.redis !== undefined) {
        redis = createRedisClient({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, logger: deps.logger })
        // Both stores fail open, so a Redis that is down at startup delays nothing.
        await redis.connect().catch((err: unknown) => { log.warn({ err }, 'redis not reachable at startup; retrying in the background') })
        dedupe = createRedisDedupeStore({ redis, keyPrefix: config.redis.key_prefix, windowMs: config.dedupe.window_ms })
        limiter = createRedisLimiterStore({ redis, keyPrefix: config.redis.key_prefix, types: limiterTypes })
      } else {
        dedupe = createMemoryDedupeStore({ windowMs: config.dedupe.window_ms, maxEntries: config.dedupe.max_entries })
        limiter = createMemoryLimiterStore({ types: limiterTypes })
      }

      let clusterTopics: Promise<string[]> | undefined
      const cluster = async (): Promise<string[]> => {
        clusterTopics ??= listTopics(kafka.brokers, { clientId: kafka.client_id, logger: deps.logger })
        return clusterTopics
      }
      const resolved = await Promise.all(rules.map(async (rule) => ({ rule, topics: await resolveTopics(rule, cluster) })))
      if (kafka.create_topics) {
        const names = new Set<string>([errorTopicOf(config.topic_prefix, config.service_name)])
        for (const { topics } of resolved) {
          for (const topic of topics) {
            names.add(`${config.topic_prefix}${topic}`)
            names.add(retryTopicOf(config.topic_prefix, config.service_name, topic))
          }
        }
        await createTopics(kafka.brokers, [...names].map((name) => ({ name, partitions: kafka.topic_partitions })), { logger: deps.logger })
      }

      const http = createHttpExecutor({ dispatcher })
      consumers = resolved.map(({ rule, topics }) => {
        if (topics.length === 0) {
          log.warn({ rule: rule.name }, 'rule has no topic to consume (its topic regex matches none); it stays idle until restart')
          return { rule, topics, main: undefined, retry: undefined }
        }
        const common = {
          brokers: kafka.brokers,
          clientId: kafka.client_id,
          concurrency: rule.concurrency,
          commitIntervalMs: kafka.commit_interval_ms,
          sessionTimeoutMs: kafka.session_timeout_ms,
          heartbeatIntervalMs: kafka.heartbeat_interval_ms,
          logger: deps.logger.child({ rule: rule.name })
        }
        return {
          rule,
          topics,
          main: createEventConsumer({
            ...common,
            groupId: `${config.service_name}-${rule.name}`,
            topics: topics.map((topic) => `${config.topic_prefix}${topic}`),
            fromBeginning: kafka.from_beginning,
            onProgress: progressReporter(rule.name, 'main')
          }),
          retry: createEventConsumer({
            ...common,
            groupId: `${config.service_name}-${rule.name}-retry`,
            topics: topics.map((topic) => retryTopicOf(config.topic_prefix, config.service_name, topic)),
            // Retry events are never skipped, even by a group that is new.
            fromBeginning: true,
            onProgress: progressReporter(rule.name, 'retry')
          })
        }
      })

      const runnerDeps = {
        service: config.service_name,
        topicPrefix: config.topic_prefix,
        userAgent: config.user_agent,
        originOverride: config.exec_origin_override,
        maxChainLength: config.max_chain_length,
        producer,
        http,
        dedupe,
        limiter,
        metrics,
        logger: deps.logger
      }
      for (const entry of consumers) {
        if (entry.main === undefined || entry.retry === undefined) continue
        const runner = createRuleRunner(entry.rule, runnerDeps)
        await entry.main.start(async (message, signal) => runner.handleMain(message, signal))
        await entry.retry.start(async (message, signal) => runner.handleRetry(message, signal))
        log.info({ rule: entry.rule.name, topics: entry.topics }, 'rule started')
      }
    },

    async close () {
      if (closing) return
      closing = true
      const results = await Promise.allSettled(allConsumers().map(async (consumer) => consumer.close({ drainTimeoutMs: config.shutdown_timeout_ms })))
      const abandoned = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.abandoned : 0), 0)
      for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'closing a consumer failed')
      if (abandoned > 0) log.warn({ abandoned }, 'in-flight events abandoned at shutdown; they run again after restart')
      if (ownsProducer && producer !== undefined) await producer.close().catch((err: unknown) => { log.error({ err }, 'closing the producer failed') })
      if (redis !== undefined) redis.disconnect()
      if (ownsDispatcher && dispatcher !== undefined) await dispatcher.close().catch(() => undefined)
      if (admin !== undefined) await admin.close()
      log.info('change propagation stopped')
    }
  }
  return changeprop
}
