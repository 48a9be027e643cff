import { dirname, resolve } from 'node:path'
import type { FromSchema } from '../config/from-schema.js'
import type { EnvOverride } from '../config/load.js'
import { commonEnvOverrides, deepFreeze, kafkaBrokersSchema, kafkaProducerSchema, loadConfig, redisSchema, validateConfig } from '../config/load.js'
import type { RuleSpec } from './rules/schema.js'
import { ruleDefaultsProperties, ruleNamePattern } from './rules/schema.js'
import { compileRules, loadRules } from './rules/load.js'
import { ConfigInvalidError, messageOf } from '../errors.js'
import { RuleInvalidError } from './errors.js'
import { importServiceRunnerConfig, isServiceRunnerConfig } from './import/service-runner.js'
import type { ImportReport } from './import/report.js'
import { createMediawikiApi } from './modules/mediawiki-api.js'
import { createPartitioner } from './modules/partition.js'
import type { PartitionerSettings } from './modules/partition.js'
import { consumerConfigSchema, kafkaCompressionSchema, kafkaSecuritySchema } from '../kafka/index.js'
import { legacyTopicsHomeSchema } from '../stream-config/index.js'

const limiterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['interval_ms', 'limit'],
  properties: {
    interval_ms: { type: 'integer', minimum: 1 },
    limit: { type: 'integer', minimum: 0 }
  }
} as const

const mediawikiEndpointProperties = {
  uri: { type: 'string', minLength: 1 },
  headers: { type: 'object', additionalProperties: { type: 'string' } },
  params: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  limit: { type: 'integer', minimum: 1, maximum: 5000 },
  timeout_ms: { type: 'integer', minimum: 1 }
} as const

/**
 * The MediaWiki Action API the `/sys/links/` modules call (modules/mediawiki-api.ts): an
 * endpoint template and its settings, each of which `domains.<domain>` may override for one wiki.
 */
const mediawikiApiSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    uri: { ...mediawikiEndpointProperties.uri, default: 'https://{{message.meta.domain}}/w/api.php' },
    headers: { ...mediawikiEndpointProperties.headers, default: {} },
    params: { ...mediawikiEndpointProperties.params, default: { formatversion: 2 } },
    limit: { ...mediawikiEndpointProperties.limit, default: 500 },
    timeout_ms: { ...mediawikiEndpointProperties.timeout_ms, default: 60000 },
    max_response_bytes: { type: 'integer', minimum: 1024, maximum: 268435456, default: 16777216 },
    max_pages: { type: 'integer', minimum: 1, default: 100000 },
    domains: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'object', additionalProperties: false, properties: mediawikiEndpointProperties }
    }
  }
} as const

/** CDN purge (`/sys/purge/`, modules/purge.ts). */
const purgeSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** The stream purge events go to; `null`: HTCP only. */
    stream: { type: ['string', 'null'], pattern: '^[A-Za-z0-9._-]+$', default: 'resource-purge' },
    htcp: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        ttl: { type: 'integer', minimum: 1, maximum: 255, default: 8 }
      }
    }
  }
} as const

/** Job partitioning (`/sys/partition/`, modules/partition.ts); rules may call it only when set. */
const partitionerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['stream', 'partition_key', 'partition_map', 'partition_default'],
  properties: {
    stream: { type: 'string', minLength: 1 },
    partition_key: { type: 'string', minLength: 1 },
    partition_map: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, maximum: 1023 } },
    partition_default: { type: 'integer', minimum: 0, maximum: 1023 }
  }
} as const

/**
 * The change-propagation service configuration. The rule defaults sit at the top level,
 * as in the reference's queue module options; every one can be overridden per rule.
 */
export const changepropConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service_name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', default: 'changeprop' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 7272 },
    listen_address: { type: 'string', minLength: 1, default: '0.0.0.0' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    topic_prefix: { type: 'string', pattern: '^[A-Za-z0-9._-]*$', default: '' },
    /**
     * The datacenter prefixes whose topics this deployment reacts to; unset means only its own
     * `topic_prefix` (each event is reacted to once, where it was produced). Adding another
     * datacenter's prefix takes over its events (a switchover, docs/changeprop.md).
     */
    consume_topic_prefixes: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9._-]*$' }, minItems: 1, uniqueItems: true },
    /** The `topic_prefix` of the datacenter owning legacy `eventlogging_*` streams' bare topic names; unset: this one. */
    legacy_topics_home: legacyTopicsHomeSchema,
    /** Where a takeover of another datacenter's topics starts when it has no newer position: this long ago. */
    takeover_lookback_ms: { type: 'integer', minimum: 0, default: 600000 },
    user_agent: { type: 'string', minLength: 1, default: 'sluice-changeprop' },
    exec_origin_override: { type: 'string', pattern: '^https?://[^/?#]+$' },
    max_chain_length: { type: 'integer', minimum: 1, default: 10 },
    shutdown_timeout_ms: { type: 'integer', minimum: 0, default: 10000 },
    bounded_raw_event_max_bytes: { type: 'integer', minimum: 0, default: 65536 },
    /** Decoded records kept for the other rules reading the same topic (each record is parsed once); 0 turns it off. */
    shared_decode_max_events: { type: 'integer', minimum: 0, maximum: 1000000, default: 5000 },
    /**
     * Events a rule's retry consumer holds while they wait for their time (retries, Retry-After,
     * delays) on top of `concurrency`, which bounds only the executions: a wait holds no execution slot.
     */
    max_waiting_events: { type: 'integer', minimum: 0, maximum: 100000, default: 500 },
    /**
     * How far the heap may grow past what the last full garbage collection left live before the
     * next one (V8's --heap-growing-percent, for the whole process; heap-growing.ts); 0: V8's own choice.
     */
    heap_growing_percent: { type: 'integer', minimum: 0, maximum: 400, default: 25 },
    /** The longest a delayed event waits in memory; one due later goes back to the end of its delay topic then. */
    delay_hold_max_ms: { type: 'integer', minimum: 1000, maximum: 86400000, default: 300000 },
    ...ruleDefaultsProperties,
    dedupe: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        window_ms: { type: 'integer', minimum: 0, default: 3600000 },
        max_entries: { type: 'integer', minimum: 1, default: 100000 }
      }
    },
    limiters: {
      type: 'object',
      default: {},
      additionalProperties: {
        type: ['object', 'array'],
        if: { type: 'array' },
        then: { minItems: 1, items: limiterSchema },
        else: limiterSchema
      }
    },
    redis: redisSchema,
    mediawiki_api: mediawikiApiSchema,
    purge: purgeSchema,
    partitioner: partitionerSchema,
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        brokers: kafkaBrokersSchema,
        client_id: { type: 'string', minLength: 1, default: 'sluice-changeprop' },
        from_beginning: { type: 'boolean', default: false },
        create_topics: { type: 'boolean', default: true },
        topic_partitions: { type: 'integer', minimum: 1, default: 1 },
        topic_refresh_interval_ms: { type: 'integer', minimum: 0, default: 10000 },
        ...consumerConfigSchema,
        ...kafkaProducerSchema,
        compression: kafkaCompressionSchema,
        ...kafkaSecuritySchema
      }
    },
    rules_dir: { type: 'string', minLength: 1 },
    rules: {
      type: 'object',
      default: {},
      propertyNames: { pattern: ruleNamePattern },
      // Each rule is validated on its own against the rule schema, so that a problem is
      // reported with the rule's name and a pointer inside it.
      additionalProperties: { type: 'object' }
    }
  }
} as const

/**
 * The configuration once loaded, derived from the schema. `rules` is the one key typed by hand:
 * the schema only checks that each rule is a mapping, and every rule is then validated on its
 * own against the rule schema (so a problem names the rule).
 */
export type ChangepropConfig = Omit<FromSchema<typeof changepropConfigSchema>, 'rules'> & { rules: Record<string, RuleSpec> }

/** A failure budget: at most `limit` failures per key within `interval_ms`. */
export type LimiterSpec = FromSchema<typeof limiterSchema>

export const changepropEnvOverrides: readonly EnvOverride[] = commonEnvOverrides

/** What callers may override in a loaded file (`loadChangepropConfig`'s third argument). */
export type ChangepropOverrides = Omit<DeepPartial<ChangepropConfig>, 'rules'> & { rules?: Record<string, RuleSpec> }

export type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends unknown[] ? T[K] : NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K]
}

/**
 * Loads the configuration file (or the defaults when `file` is undefined), applies
 * `overrides` and then the `PORT` / `KAFKA_BROKERS` environment variables, validates it,
 * reads the rule files of `rules_dir` (relative to the configuration file), validates and
 * compiles every rule, and returns the frozen result with all rules under `rules`.
 */
export async function loadChangepropConfig (
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  overrides: ChangepropOverrides = {},
  options: { onImport?: (report: ImportReport) => void } = {}
): Promise<Readonly<ChangepropConfig>> {
  let base: unknown = file === undefined ? {} : await loadConfig({ file, schema: { type: 'object' } })
  // Wikimedia Change Propagation's own configuration is read as the Sluice one it maps to.
  if (isServiceRunnerConfig(base)) {
    const imported = importServiceRunnerConfig(base)
    options.onImport?.(imported.report)
    base = imported.config
  }
  const data = mergeOverrides(structuredClone(base) as Record<string, unknown>, overrides as Record<string, unknown>)
  const config = validateConfig(data, changepropConfigSchema, file ?? 'configuration', env, changepropEnvOverrides)
  const rulesDir = config.rules_dir === undefined
    ? undefined
    : resolve(file === undefined ? process.cwd() : dirname(file), config.rules_dir)
  const rules = await loadRules({ inline: config.rules, dir: rulesDir, defaults: config, source: file ?? 'configuration' })
  checkModules(config, rules, file ?? 'configuration')
  return deepFreeze({ ...structuredClone(config), rules: structuredClone(rules) })
}

/**
 * The in-process modules' settings compile (templates parse), and every rule calling
 * `/sys/partition/` has a `partitioner` to call.
 */
function checkModules (config: Readonly<Omit<ChangepropConfig, 'rules'>>, rules: Record<string, RuleSpec>, source: string): void {
  const problems: string[] = []
  const check = (key: string, fn: () => unknown): void => {
    try {
      fn()
    } catch (err) {
      problems.push(`${key}: ${messageOf(err)}`)
    }
  }
  check('mediawiki_api', () => createMediawikiApi(config.mediawiki_api, { http: { execute: async () => ({ kind: 'produced', count: 0 }) } }))
  if (config.partitioner !== undefined) check('partitioner.stream', () => createPartitioner(config.partitioner as PartitionerSettings))
  if (problems.length > 0) throw new ConfigInvalidError(source, problems)
  if (config.partitioner !== undefined) return
  const calling = compileRules({ ...config, rules }).filter((rule) => rule.cases.some((c) => c.exec.some((step) => step.module === 'partition')))
  if (calling.length > 0) {
    throw new RuleInvalidError(calling.map((rule) => ({ rule: rule.name, pointer: '/exec', source, message: '/sys/partition/ needs partitioner (stream, partition_key, partition_map, partition_default) in the configuration' })))
  }
}

function mergeOverrides (target: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    const current = target[key]
    if (isPlainObject(value) && isPlainObject(current)) mergeOverrides(current, value)
    else target[key] = structuredClone(value)
  }
  return target
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
