import { createChangepropMetrics } from '../metrics/changeprop.js'
import type { ChangepropMetrics } from '../metrics/changeprop.js'
import { buildService, kafkaSettings, producerSettings, readinessBody, readServiceInfo, requireProducer, startAdminServer, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, Service, ServiceContext, ServiceDefinition, ShellService } from '../service/index.js'
import type { ChangepropConfig } from './config.js'
import { createHttpExecutor } from './exec.js'
import { ruleGroupOf } from '../stream-config/index.js'
import type { ConsumersDeps } from './consumers/deps.js'
import { createTopicRefresh } from './consumers/refresh.js'
import { startRule } from './consumers/rule.js'
import type { RuleConsumers } from './consumers/rule.js'
import { positionTakeover } from './consumers/takeover.js'
import { clusterTopics, createPartitionTopics, createRuleTopics, resolveTopics } from './consumers/topics.js'
import { healthReport, readinessChecks } from './health.js'
import type { Lifecycle } from './health.js'
import { compileRules } from './rules/load.js'
import { shutDown } from './shutdown.js'
import type { OpenedResources } from './shutdown.js'
import { createStateStores, createStoresRedis } from './state-stores.js'
import { createRuleRunner } from './runner.js'
import { createDecodeCache } from './decode-cache.js'
import { createExecModules } from './modules/index.js'
import { ruleThrottleFor } from './throttle.js'

export interface ChangepropService extends Service {
  /**
   * Connects, resolves topics, starts the admin server and every rule's consumers; resolves to
   * a line naming the rules and the admin port.
   */
  start(): Promise<string>
  /**
   * Stops fetching, lets in-flight events finish until shortly before `deadline` (the rest are
   * abandoned uncommitted, to run again after restart), commits what finished, then closes
   * Redis and the admin server. The shell flushes the producer after this.
   */
  close(deadline: number): Promise<void>
  /**
   * Lists the cluster's topics again and resubscribes every rule whose topic regexes now
   * match a different set (topics that appeared start from their oldest event). Runs on its
   * own every `kafka.topic_refresh_interval_ms`.
   */
  refreshTopics(): Promise<void>
  /** The admin server's port once started (useful with `port: 0`). */
  readonly port?: number
  isReady(): boolean
}

/** Change propagation as built by the shell: `close()` closes it, then its context. */
export type Changeprop = ShellService<ChangepropService>

/**
 * Change propagation as the service shell runs it. Exec requests go through the context's
 * HTTP agent; retry, error and exec-produced events through its producer.
 */
export const changepropService: ServiceDefinition<ChangepropConfig, ChangepropService> = {
  name: 'changeprop',
  context: (config) => ({
    logger: { level: config.log_level, name: config.service_name },
    metricLabels: { service: config.service_name },
    dispatcher: { keepAliveTimeout: 4000, connections: 256 },
    kafka: kafkaSettings(config.kafka, config.kafka.client_id),
    producer: producerSettings(config.kafka, `${config.kafka.client_id}-producer`)
  }),
  shutdownMs: (config) => config.shutdown_timeout_ms,
  unusable: withoutBrokers,
  build: async (config, context) => buildChangeprop(config, context)
}

/** Builds change propagation on its context (tests, `sluice up`); `close()` closes the context too. */
export async function createChangeprop (config: Readonly<ChangepropConfig>, options: { cwd: string } & ContextOverrides): Promise<Changeprop> {
  return buildService(changepropService, config, options)
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
function buildChangeprop (config: Readonly<ChangepropConfig>, deps: ServiceContext): ChangepropService {
  const log = deps.logger.child({ module: 'changeprop' })
  const rules = compileRules(config)
  const metrics: ChangepropMetrics = createChangepropMetrics(deps.registry)
  const { dispatcher } = deps
  const producer = requireProducer(deps)
  const opened: OpenedResources = {}
  const consumers: RuleConsumers[] = []
  const lifecycle: Lifecycle = { started: false, closing: false }

  const consumerDeps: ConsumersDeps = { config, logger: deps.logger, log, metrics, security: deps.kafka?.security }
  const topicRefresh = createTopicRefresh(consumerDeps, consumers, () => lifecycle.started && !lifecycle.closing)

  const readiness = readinessChecks(lifecycle, consumers, producer)

  const changeprop: ChangepropService = {
    get port () { return opened.admin?.port },

    isReady () { return readinessBody(readiness).ready },

    async start () {
      if (lifecycle.started) throw new Error('change propagation already started')
      lifecycle.started = true
      const { kafka } = config
      if (kafka.brokers.length === 0) throw new Error('no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS)')
      const admin = opened.admin = await startAdminServer({ host: config.listen_address, port: config.port, logger: deps.logger, registry: deps.registry, health: () => healthReport(lifecycle, consumers), readiness, info: readServiceInfo() })
      await producer.connect()
      // Readiness follows Kafka without traffic: the producer asks the cluster for metadata.
      producer.monitor()

      opened.redis = await createStoresRedis(config, deps.logger)
      const { dedupe, limiter } = await createStateStores(config, opened.redis, log)

      const cluster = clusterTopics(consumerDeps)
      const prefixes = config.consume_topic_prefixes ?? [config.topic_prefix]
      const http = createHttpExecutor({ dispatcher })
      opened.modules = createExecModules(config, { http, metrics })
      const { modules } = opened.modules
      await createPartitionTopics(consumerDeps, rules, modules.partition)
      // Shared only where there is someone to share with.
      const decodeCache = createDecodeCache(rules.length > 1 ? config.shared_decode_max_events : 0)
      const runnerDeps = {
        service: config.service_name,
        topicPrefix: config.topic_prefix,
        legacyTopicsHome: config.legacy_topics_home,
        userAgent: config.user_agent,
        originOverride: config.exec_origin_override,
        maxChainLength: config.max_chain_length,
        boundedRawEventMaxBytes: config.bounded_raw_event_max_bytes,
        producer,
        http,
        dedupe,
        limiter,
        metrics,
        logger: deps.logger,
        decode: decodeCache.decode,
        modules,
        delayHoldMaxMs: config.delay_hold_max_ms
      }
      // One throttle per rule, shared by its runners of every datacenter's topics.
      const throttles = new Map(rules.map((rule) => [rule.name, ruleThrottleFor(rule, metrics, log.child({ rule: rule.name }))]))
      for (const prefix of prefixes) {
        const resolved = await Promise.all(rules.map(async (rule) => ({ rule, topics: await resolveTopics(config, rule, prefix, cluster) })))
        await createRuleTopics(consumerDeps, resolved, prefix)
        for (const { rule, topics } of resolved) {
          const entry: RuleConsumers = { rule, runner: createRuleRunner(rule, { ...runnerDeps, consumedPrefix: prefix, throttle: throttles.get(rule.name) }), prefix, group: ruleGroupOf(config.service_name, rule.name, prefix, config.topic_prefix), topics: [], main: undefined, retry: undefined }
          consumers.push(entry)
          if (topics.length === 0) {
            log.warn({ rule: rule.name, prefix }, 'rule has no topic to consume (its topic regex matches none yet); it starts when one appears')
            continue
          }
          if (prefix !== config.topic_prefix) await positionTakeover(consumerDeps, entry, topics)
          await startRule(consumerDeps, entry, topics, [])
        }
      }
      topicRefresh.schedule()
      return `${rules.length} rule${rules.length === 1 ? '' : 's'} running; admin (metrics, health) on port ${String(admin.port)}`
    },

    async refreshTopics () {
      await topicRefresh.refresh()
    },

    async close (deadline) {
      if (lifecycle.closing) return
      lifecycle.closing = true
      await shutDown({ config, log, refresh: topicRefresh, entries: consumers, opened }, deadline)
    }
  }
  return changeprop
}
