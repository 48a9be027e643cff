import { dirname, resolve } from 'node:path'
import type { FromSchema } from '../config/from-schema.js'
import type { EnvOverride } from '../config/load.js'
import { commonEnvOverrides, deepFreeze, kafkaBrokersSchema, kafkaProducerSchema, loadConfig, redisSchema, validateConfig } from '../config/load.js'
import type { RuleSpec } from './rules/schema.js'
import { ruleDefaultsProperties, ruleNamePattern } from './rules/schema.js'
import { loadRules } from './rules/load.js'
import { consumerConfigSchema, kafkaCompressionSchema, kafkaSecuritySchema } from '../kafka/index.js'

const limiterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['interval_ms', 'limit'],
  properties: {
    interval_ms: { type: 'integer', minimum: 1 },
    limit: { type: 'integer', minimum: 0 }
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
    /** Where a takeover of another datacenter's topics starts when it has no newer position: this long ago. */
    takeover_lookback_ms: { type: 'integer', minimum: 0, default: 600000 },
    user_agent: { type: 'string', minLength: 1, default: 'sluice-changeprop' },
    exec_origin_override: { type: 'string', pattern: '^https?://[^/?#]+$' },
    max_chain_length: { type: 'integer', minimum: 1, default: 10 },
    shutdown_timeout_ms: { type: 'integer', minimum: 0, default: 10000 },
    bounded_raw_event_max_bytes: { type: 'integer', minimum: 0, default: 65536 },
    /** Decoded records kept for the other rules reading the same topic (each record is parsed once); 0 turns it off. */
    shared_decode_max_events: { type: 'integer', minimum: 0, maximum: 1000000, default: 5000 },
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
  overrides: ChangepropOverrides = {}
): Promise<Readonly<ChangepropConfig>> {
  const base = file === undefined ? {} : await loadConfig({ file, schema: { type: 'object' } })
  const data = mergeOverrides(structuredClone(base) as Record<string, unknown>, overrides as Record<string, unknown>)
  const config = validateConfig(data, changepropConfigSchema, file ?? 'configuration', env, changepropEnvOverrides)
  const rulesDir = config.rules_dir === undefined
    ? undefined
    : resolve(file === undefined ? process.cwd() : dirname(file), config.rules_dir)
  const rules = await loadRules({ inline: config.rules, dir: rulesDir, defaults: config, source: file ?? 'configuration' })
  return deepFreeze({ ...structuredClone(config), rules: structuredClone(rules) })
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
