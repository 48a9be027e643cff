import type { EventProducer } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import { createChangepropMetrics } from '../metrics/changeprop.js'
import type { ChangepropMetrics } from '../metrics/changeprop.js'
import { buildService, kafkaSettings, producerSettings, readinessBody, readServiceInfo, requireProducer, startAdminServer, withoutBrokers } from '../service/index.js'
import type { ContextOverrides, Service, ServiceContext, ServiceDefinition, ShellService } from '../service/index.js'
import type { RunnerDeps } from './attempt.js'
import type { ChangepropConfig } from './config.js'
import { createPartitionTopics, createTopicRefresh, startRules } from './consumers/index.js'
import type { ConsumersDeps, RuleConsumers } from './consumers/index.js'
import { createDecodeCache } from './decode-cache.js'
import { createHttpExecutor } from './exec.js'
import { healthReport, readinessChecks } from './health.js'
import { applyHeapGrowing } from './heap-growing.js'
import type { Lifecycle } from './health.js'
import { createExecModules } from './modules/index.js'
import type { CompiledRule } from './rules/compile.js'
import { compileRules } from './rules/load.js'
import { createRuleRunner } from './runner/index.js'
import type { RuleRunner } from './runner/index.js'
import { shutDown } from './shutdown.js'
import type { OpenedResources } from './shutdown.js'
import { createStateStores, createStoresRedis } from './state-stores.js'
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
 * connected or started until `start()`, which opens, in order: the admin server, the producer,
 * the dedupe and limiter stores (state-stores.ts), the exec modules (modules/), the partition
 * topics, then every rule's runner and consumers (consumers/), and schedules the topic refresh.
 * `close()` undoes it within its deadline (shutdown.ts).
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
  const producer = requireProducer(deps)
  const lifecycle: Lifecycle = { started: false, closing: false }
  const opened: OpenedResources = {}
  const consumers: RuleConsumers[] = []
  const consumerDeps: ConsumersDeps = { config, logger: deps.logger, log, metrics, security: deps.kafka?.security }
  const topicRefresh = createTopicRefresh(consumerDeps, consumers, () => lifecycle.started && !lifecycle.closing)
  const readiness = readinessChecks(lifecycle, consumers, producer)

  return {
    get port () { return opened.admin?.port },

    isReady () { return readinessBody(readiness).ready },

    async start () {
      if (lifecycle.started) throw new Error('change propagation already started')
      lifecycle.started = true
      if (config.kafka.brokers.length === 0) throw new Error('no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS)')
      applyHeapGrowing(config.heap_growing_percent)
      const admin = opened.admin = await startAdminServer({ host: config.listen_address, port: config.port, logger: deps.logger, registry: deps.registry, health: () => healthReport(lifecycle, consumers), readiness, info: readServiceInfo() })
      await producer.connect()
      // Readiness follows Kafka without traffic: the producer asks the cluster for metadata.
      producer.monitor()
      opened.redis = await createStoresRedis(config, deps.logger)
      const stores = await createStateStores(config, opened.redis, log)
      const http = createHttpExecutor({ dispatcher: deps.dispatcher })
      opened.modules = createExecModules(config, { http, metrics })
      const { modules } = opened.modules
      await createPartitionTopics(consumerDeps, rules, modules.partition)
      const runnerFor = createRunners(config, rules, { ...stores, producer, http, modules, metrics, logger: deps.logger, log })
      await startRules(consumerDeps, consumers, rules, runnerFor)
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
}

/** The service's parts every rule runner uses. */
type RunnerParts = Pick<RunnerDeps, 'dedupe' | 'limiter' | 'http' | 'metrics' | 'logger'> & {
  producer: EventProducer
  modules: NonNullable<RunnerDeps['modules']>
  log: Logger
}

/**
 * Makes each rule's runner for the topics of one datacenter. A consumed record is decoded once for
 * all the rules reading it, and each rule has one throttle, shared by its runners of every
 * datacenter's topics.
 */
function createRunners (config: Readonly<ChangepropConfig>, rules: readonly CompiledRule[], parts: RunnerParts): (rule: CompiledRule, prefix: string) => RuleRunner {
  const { metrics, log } = parts
  // Shared only where there is someone to share with.
  const decodeCache = createDecodeCache(rules.length > 1 ? config.shared_decode_max_events : 0)
  const runnerDeps: RunnerDeps = {
    service: config.service_name,
    topicPrefix: config.topic_prefix,
    legacyTopicsHome: config.legacy_topics_home,
    userAgent: config.user_agent,
    originOverride: config.exec_origin_override,
    maxChainLength: config.max_chain_length,
    boundedRawEventMaxBytes: config.bounded_raw_event_max_bytes,
    producer: parts.producer,
    http: parts.http,
    dedupe: parts.dedupe,
    limiter: parts.limiter,
    metrics,
    logger: parts.logger,
    decode: decodeCache.decode,
    modules: parts.modules,
    delayHoldMaxMs: config.delay_hold_max_ms
  }
  const throttles = new Map(rules.map((rule) => [rule.name, ruleThrottleFor(rule, metrics, log.child({ rule: rule.name }))]))
  return (rule, prefix) => createRuleRunner(rule, { ...runnerDeps, consumedPrefix: prefix, throttle: throttles.get(rule.name) })
}
