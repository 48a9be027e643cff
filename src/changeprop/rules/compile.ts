import { RuleInvalidError } from '../errors.js'
import type { Captures, Matcher } from './match.js'
import { compileRegex, isRegexPattern } from './match.js'
import type { OutcomePolicy, RetryPolicy, StatusMatcher } from '../outcome.js'
import { compileStatusPatterns } from '../outcome.js'
import type { Sampler } from './sample.js'
import type { Render } from './template/index.js'
import { compileTemplateString } from './template/index.js'
import type { RuleDefaults, RuleSpec, StatusConditionSpec } from './schema.js'
import type { ExecModule } from './routes.js'
import { compileCases, compileLimiters } from './compile-case.js'
import { collectProblems } from './problems.js'
import type { RuleProblems } from './problems.js'
import type { BlacklistTest } from '../blacklist.js'
import { compileBlacklist } from '../blacklist.js'
import type { BackoffSettings, RateLimitSettings } from '../throttle.js'

export { produceRoute } from './routes.js'

export interface CompiledLimiter {
  type: string
  key: Render
}

export interface CompiledRequest {
  /** JSON pointer of the request in the rule, for logs. */
  pointer: string
  /** Upper-case HTTP method. */
  method: string
  uri: Render
  headers: Render
  query: Render | undefined
  body: Render | undefined
  timeoutMs: number
  /** Produces the rendered body (one event or a list) to Kafka instead of calling HTTP. */
  produce: boolean
  /** Where the request goes: HTTP, or an in-process module (rules/routes.ts). */
  module: ExecModule
}

export interface CompiledCase {
  index: number
  match: Matcher
  matchNot: (event: unknown) => boolean
  exec: CompiledRequest[]
  sampler: Sampler | undefined
  /** The failure budgets of this case: its own `limiters`, or the rule's. */
  limiters: readonly CompiledLimiter[]
}

export interface RuleMatch {
  ruleCase: CompiledCase
  captures: Captures
}

export interface CompiledRule {
  name: string
  /** Topics without the datacenter prefix. */
  topics: readonly string[]
  /** `/regex/` topics, resolved against the broker's topic list at startup. */
  topicPatterns: readonly RegExp[]
  excludeTopics: ReadonlySet<string>
  cases: readonly CompiledCase[]
  /** The first case whose `match` holds and whose `match_not` does not. */
  test: (event: unknown) => RuleMatch | undefined
  outcome: OutcomePolicy
  retry: RetryPolicy
  concurrency: number
  /** Undefined when the rule does not deduplicate. */
  dedupe: { key: Render | undefined } | undefined
  /** The rule-level failure budgets (each case has its own list, this one by default). */
  limiters: readonly CompiledLimiter[]
  /** Whether the static block list skips an event; undefined when the rule has none. */
  blacklisted: BlacklistTest | undefined
  /** `rate_limit`; undefined when the rule runs as fast as its consumers go. */
  rateLimit: RateLimitSettings | undefined
  /** `failure_backoff`; undefined when the rule never slows down. */
  backoff: BackoffSettings | undefined
  /** `delay` and `delay_until`; undefined when the rule runs every event at once. */
  delay: CompiledDelay | undefined
}

export interface CompiledDelay {
  /** Milliseconds after the event's `meta.dt`. */
  afterMs: number | undefined
  /** The time rendered from the event: a date text, or milliseconds since the epoch. */
  until: Render | undefined
}

export interface CompileRuleOptions {
  defaults: RuleDefaults
  /** Limiter types declared in the configuration. */
  limiterTypes: ReadonlySet<string>
  dedupeByDefault: boolean
  source?: string
}

/**
 * Compiles a validated rule into closures. Every problem found (bad regex, bad status
 * pattern, template that does not parse, unknown limiter) is collected and raised as one
 * RuleInvalidError naming the rule and the JSON pointer of each.
 */
export function compileRule (name: string, spec: RuleSpec, options: CompileRuleOptions): CompiledRule {
  const problems = collectProblems(name, options.source)
  const { defaults } = options
  const { topics, topicPatterns } = compileTopics(spec, problems)
  const limiters = compileLimiters(spec.limiters, '/limiters', options, problems)
  const cases = compileCases(spec, options, problems, limiters)
  // Failure handling
  const retryOn = problems.attempt('/retry_on/status', () => compileCondition(spec.retry_on ?? defaults.retry_on))
  const ignore = problems.attempt('/ignore/status', () => compileCondition(spec.ignore ?? defaults.ignore))
  const dedupe = compileDedupe(spec, options, problems)
  // Static block list: the rule's own replaces the configuration's.
  const disableBlacklist = spec.disable_blacklist ?? defaults.disable_blacklist
  const blacklisted = disableBlacklist
    ? undefined
    : problems.attempt(spec.blacklist === undefined ? '(default blacklist)' : '/blacklist', () => compileBlacklist(spec.blacklist ?? defaults.blacklist))
  const protection = compileProtection(spec, defaults, problems)

  if (problems.list.length > 0 || retryOn === undefined || ignore === undefined) throw new RuleInvalidError(problems.list)

  return {
    name,
    topics,
    topicPatterns,
    excludeTopics: new Set(spec.exclude_topics ?? []),
    cases,
    test (event) {
      for (const ruleCase of cases) {
        const captures = ruleCase.match(event)
        if (captures !== undefined && !ruleCase.matchNot(event)) return { ruleCase, captures }
      }
      return undefined
    },
    outcome: { retryOn, ignore, retryAfter: protection.retryAfter },
    retry: {
      retryLimit: spec.retry_limit ?? defaults.retry_limit,
      retryDelayMs: spec.retry_delay ?? defaults.retry_delay,
      retryFactor: spec.retry_factor ?? defaults.retry_factor
    },
    concurrency: spec.concurrency ?? defaults.concurrency,
    dedupe,
    limiters,
    blacklisted,
    rateLimit: protection.rateLimit,
    backoff: protection.backoff,
    delay: protection.delay
  }
}

/** `topic` or `topics`: plain names, and `/regex/` ones resolved against the cluster's topics. */
function compileTopics (spec: RuleSpec, problems: RuleProblems): { topics: string[], topicPatterns: RegExp[] } {
  const topics: string[] = []
  const topicPatterns: RegExp[] = []
  const topicList = spec.topics ?? (spec.topic === undefined ? [] : [spec.topic])
  if (topicList.length === 0) problems.add('', 'no topic: set topic or topics')
  if (spec.topic !== undefined && spec.topics !== undefined) problems.add('/topic', 'set topic or topics, not both')
  topicList.forEach((topic, index) => {
    const pointer = spec.topics === undefined ? '/topic' : `/topics/${index}`
    if (isRegexPattern(topic)) {
      const compiled = problems.attempt(pointer, () => compileRegex(topic, pointer))
      if (compiled !== undefined) topicPatterns.push(compiled.regex)
    } else if (!/^[A-Za-z0-9._-]+$/.test(topic)) {
      problems.add(pointer, `'${topic}' is not a valid topic name`)
    } else {
      topics.push(topic)
    }
  })
  return { topics, topicPatterns }
}

function compileDedupe (spec: RuleSpec, options: CompileRuleOptions, problems: RuleProblems): CompiledRule['dedupe'] {
  const dedupeSpec = spec.dedupe ?? options.dedupeByDefault
  if (dedupeSpec === false) return undefined
  const keySource = typeof dedupeSpec === 'object' ? dedupeSpec.key : undefined
  return { key: keySource === undefined ? undefined : problems.attempt('/dedupe/key', () => compileTemplateString(keySource)) }
}

/** Protecting the target (rate, back-off, Retry-After), and delayed execution. */
function compileProtection (spec: RuleSpec, defaults: RuleDefaults, problems: RuleProblems): Pick<CompiledRule, 'rateLimit' | 'backoff' | 'delay'> & { retryAfter: OutcomePolicy['retryAfter'] } {
  const rateLimit = spec.rate_limit ?? defaults.rate_limit
  const backoffSpec = spec.failure_backoff ?? defaults.failure_backoff
  const backoffDefaults = defaults.failure_backoff === false ? undefined : defaults.failure_backoff
  const retryAfter = { ...defaults.retry_after, ...spec.retry_after }
  const delayUntil = spec.delay_until === undefined ? undefined : problems.attempt('/delay_until', () => compileTemplateString(spec.delay_until as string))
  const backoff = backoffSpec === false
    ? undefined
    : {
        after: backoffSpec.after ?? backoffDefaults?.after ?? 5,
        initialMs: backoffSpec.delay ?? backoffDefaults?.delay ?? 1000,
        maxMs: backoffSpec.max_delay ?? backoffDefaults?.max_delay ?? 60000
      }
  if (backoff !== undefined && backoff.maxMs < backoff.initialMs) problems.add('/failure_backoff/max_delay', `max_delay (${backoff.maxMs}) is shorter than delay (${backoff.initialMs})`)
  return {
    rateLimit: rateLimit === undefined ? undefined : { perSecond: rateLimit.rate, burst: rateLimit.burst ?? 1 },
    backoff,
    retryAfter: { statuses: new Set(retryAfter.statuses), maxDelayMs: retryAfter.max_delay },
    delay: spec.delay === undefined && delayUntil === undefined ? undefined : { afterMs: spec.delay, until: delayUntil }
  }
}

function compileCondition (condition: StatusConditionSpec): StatusMatcher {
  const patterns = Array.isArray(condition.status) ? condition.status : [condition.status]
  return compileStatusPatterns(patterns)
}
