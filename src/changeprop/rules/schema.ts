import type { FromSchema } from '../../config/from-schema.js'
/**
 * The rule language, as JSON Schema. Rule keys keep the names of Wikimedia Change
 * Propagation so its rules can be copied over; unknown keys are refused instead of being
 * ignored, and durations are milliseconds, as in the reference.
 */
export type StatusPatternSpec = number | string

export interface StatusConditionSpec {
  status: StatusPatternSpec | StatusPatternSpec[]
}

export interface ExecRequestSpec {
  method?: string
  uri: string
  headers?: Record<string, string | number | boolean>
  query?: Record<string, unknown>
  body?: unknown
  /** Milliseconds; overrides the rule's `timeout`. */
  timeout?: number
}

export interface SampleSpec {
  rate: number
  hash_template: string
}

export interface RuleCaseSpec {
  match?: Record<string, unknown>
  match_not?: Record<string, unknown> | Array<Record<string, unknown>>
  exec?: ExecRequestSpec | ExecRequestSpec[]
  sample?: SampleSpec
  /** Limiter type → key template; in a case, replaces the rule's `limiters` for that case. */
  limiters?: Record<string, string>
}

export interface RuleSpec extends RuleCaseSpec {
  topic?: string
  topics?: string[]
  exclude_topics?: string[]
  cases?: RuleCaseSpec[]
  retry_on?: StatusConditionSpec
  ignore?: StatusConditionSpec
  retry_limit?: number
  /** Milliseconds before the first retry. */
  retry_delay?: number
  retry_factor?: number
  /** Milliseconds; the default timeout of each exec request. */
  timeout?: number
  concurrency?: number
  dedupe?: boolean | { key?: string }
  discard_canary_events?: boolean
  /** Domain → titles or `/regex/`es whose events are skipped; replaces the configuration's list. */
  blacklist?: Record<string, string[]>
  disable_blacklist?: boolean
  /** Executions per second the rule starts at most, with a burst. */
  rate_limit?: RateLimitSpec
  /** How a 429 or 503 answer's `Retry-After` is honoured. */
  retry_after?: RetryAfterSpec
  /** How the rule slows down while its target keeps failing; `false`: never. */
  failure_backoff?: FailureBackoffSpec | false
  /** Milliseconds after the event's `meta.dt` before it runs. */
  delay?: number
  /** Template of the time the event runs at the earliest (`'{{message.delay_until}}'`). */
  delay_until?: string
}

export interface RateLimitSpec {
  /** Executions per second. */
  rate: number
  /** Executions that may start at once after an idle time. */
  burst?: number
}

export interface RetryAfterSpec {
  /** Statuses whose `Retry-After` is honoured, and retried even when `retry_on` does not list them. */
  statuses?: number[]
  /** Milliseconds; a longer `Retry-After` is cut to this. */
  max_delay?: number
}

export interface FailureBackoffSpec {
  /** Failures in a row that start the back-off. */
  after?: number
  /** Milliseconds between executions once it starts; doubled by each further failure. */
  delay?: number
  /** Milliseconds; the longest wait between executions. */
  max_delay?: number
}

const statusItem = { type: ['integer', 'string'] } as const

export const statusConditionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: {
      type: ['integer', 'string', 'array'],
      items: statusItem
    }
  }
} as const

const execRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['uri'],
  properties: {
    method: { type: 'string', pattern: '^(get|post|put|patch|delete|head|options|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$' },
    uri: { type: 'string', minLength: 1 },
    headers: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    query: { type: 'object' },
    body: {},
    timeout: { type: 'integer', minimum: 1 }
  }
} as const

const matchSchema = { type: 'object' } as const

const matchNotSchema = { type: ['object', 'array'], items: { type: 'object' } } as const

const execSchema = {
  type: ['object', 'array'],
  if: { type: 'array' },
  then: { minItems: 1, items: execRequestSchema },
  else: execRequestSchema
} as const

export const sampleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rate', 'hash_template'],
  properties: {
    rate: { type: 'number', minimum: 0, maximum: 1 },
    hash_template: { type: 'string', minLength: 1 }
  }
} as const

/** `rate_limit`: a token bucket of `burst` tokens refilled at `rate` per second (throttle.ts). */
export const rateLimitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rate'],
  properties: {
    rate: { type: 'number', exclusiveMinimum: 0, maximum: 1000000 },
    burst: { type: 'integer', minimum: 1, maximum: 1000000 }
  }
} as const

/** `retry_after` (retry-after.ts); each key left out takes the configuration's. */
export const retryAfterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    statuses: { type: 'array', items: { type: 'integer', minimum: 400, maximum: 599 }, uniqueItems: true },
    max_delay: { type: 'integer', minimum: 0, maximum: 86400000 }
  }
} as const

/** `failure_backoff` (throttle.ts); each key left out takes the configuration's. */
export const failureBackoffSchema = {
  type: ['object', 'boolean'],
  if: { type: 'object' },
  then: {
    additionalProperties: false,
    properties: {
      after: { type: 'integer', minimum: 1, maximum: 1000000 },
      delay: { type: 'integer', minimum: 1, maximum: 3600000 },
      max_delay: { type: 'integer', minimum: 1, maximum: 3600000 }
    }
  },
  else: { const: false }
} as const

const limitersSchema = { type: 'object', additionalProperties: { type: 'string', minLength: 1 } } as const

/** Domain → page titles or `/regex/` patterns (blacklist.ts). */
export const blacklistSchema = {
  type: 'object',
  additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } }
} as const

const caseSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    match: matchSchema,
    match_not: matchNotSchema,
    exec: execSchema,
    sample: sampleSchema,
    limiters: limitersSchema
  }
} as const

export const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    topic: { type: 'string', minLength: 1 },
    topics: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    exclude_topics: { type: 'array', items: { type: 'string', minLength: 1 } },
    match: matchSchema,
    match_not: matchNotSchema,
    cases: { type: 'array', minItems: 1, items: caseSchema },
    exec: execSchema,
    sample: sampleSchema,
    retry_on: statusConditionSchema,
    ignore: statusConditionSchema,
    retry_limit: { type: 'integer', minimum: 0 },
    retry_delay: { type: 'integer', minimum: 0 },
    retry_factor: { type: 'number', minimum: 0 },
    timeout: { type: 'integer', minimum: 1 },
    concurrency: { type: 'integer', minimum: 1 },
    dedupe: {
      type: ['boolean', 'object'],
      if: { type: 'object' },
      then: {
        additionalProperties: false,
        properties: { key: { type: 'string', minLength: 1 } }
      }
    },
    limiters: limitersSchema,
    discard_canary_events: { type: 'boolean' },
    blacklist: blacklistSchema,
    disable_blacklist: { type: 'boolean' },
    rate_limit: rateLimitSchema,
    retry_after: retryAfterSchema,
    failure_backoff: failureBackoffSchema,
    delay: { type: 'integer', minimum: 0, maximum: 2592000000 },
    delay_until: { type: 'string', minLength: 1 }
  }
} as const

/** Rule names end up in consumer group ids, emitter ids and metric labels. */
export const ruleNamePattern = '^[A-Za-z0-9][A-Za-z0-9_.-]*$'

/**
 * The rule settings whose default comes from the top level of the change-propagation
 * configuration (every rule may override each one). The configuration schema spreads these in,
 * so the defaults are written once.
 */
export const ruleDefaultsProperties = {
  concurrency: { type: 'integer', minimum: 1, default: 30 },
  retry_limit: { type: 'integer', minimum: 0, default: 2 },
  retry_delay: { type: 'integer', minimum: 0, default: 60000 },
  retry_factor: { type: 'number', minimum: 0, default: 6 },
  retry_on: { ...statusConditionSchema, default: { status: ['5xx'] } },
  ignore: { ...statusConditionSchema, default: { status: [412] } },
  timeout: { type: 'integer', minimum: 1, default: 60000 },
  sample: sampleSchema,
  discard_canary_events: { type: 'boolean', default: true },
  blacklist: { ...blacklistSchema, default: {} },
  disable_blacklist: { type: 'boolean', default: false },
  rate_limit: rateLimitSchema,
  retry_after: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      statuses: { ...retryAfterSchema.properties.statuses, default: [429, 503] },
      max_delay: { ...retryAfterSchema.properties.max_delay, default: 600000 }
    }
  },
  failure_backoff: {
    type: ['object', 'boolean'],
    default: {},
    if: { type: 'object' },
    then: {
      additionalProperties: false,
      properties: {
        after: { ...failureBackoffSchema.then.properties.after, default: 5 },
        delay: { ...failureBackoffSchema.then.properties.delay, default: 1000 },
        max_delay: { ...failureBackoffSchema.then.properties.max_delay, default: 60000 }
      }
    },
    else: { const: false }
  }
} as const

/** The rule keys whose default comes from the top level of the configuration. */
export type RuleDefaults = FromSchema<{ type: 'object', properties: typeof ruleDefaultsProperties }>
