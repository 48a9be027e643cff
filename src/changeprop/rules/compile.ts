import type { RuleProblem } from '../errors.js'
import { RuleInvalidError, TemplateSyntaxError } from '../errors.js'
import type { Captures, Matcher } from './match.js'
import { MatchSpecError, compileMatch, compileMatchNot, compileRegex, isRegexPattern } from './match.js'
import type { OutcomePolicy, RetryPolicy, StatusMatcher } from '../outcome.js'
import { compileStatusPatterns } from '../outcome.js'
import type { Sampler } from './sample.js'
import { createSampler } from './sample.js'
import type { Render } from './template/index.js'
import { compileTemplate, compileTemplateString } from './template/index.js'
import type { ExecRequestSpec, RuleCaseSpec, RuleDefaults, RuleSpec, SampleSpec, StatusConditionSpec } from './schema.js'
import type { ExecModule } from './routes.js'
import { RouteRefused, moduleOfUri, produceRoute } from './routes.js'
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

const canary = { meta: { domain: 'canary' } }

/** A problem found while compiling, at an absolute pointer inside the rule. */
class SpecProblem extends Error {
  readonly pointer: string
  constructor (pointer: string, message: string) {
    super(message)
    this.pointer = pointer
  }
}

/**
 * Compiles a validated rule into closures. Every problem found (bad regex, bad status
 * pattern, template that does not parse, unknown limiter) is collected and raised as one
 * RuleInvalidError naming the rule and the JSON pointer of each.
 */
export function compileRule (name: string, spec: RuleSpec, options: CompileRuleOptions): CompiledRule {
  const problems: RuleProblem[] = []
  const problem = (pointer: string, message: string): void => {
    problems.push({ rule: name, pointer, message, ...(options.source === undefined ? {} : { source: options.source }) })
  }
  function attempt<T> (pointer: string, fn: () => T): T | undefined {
    try {
      return fn()
    } catch (err) {
      if (err instanceof MatchSpecError || err instanceof SpecProblem) problem(err.pointer, err.message)
      else if (err instanceof TemplateSyntaxError) problem(pointer + err.pointer, err.message)
      else if (err instanceof Error) problem(pointer, err.message)
      else throw err
      return undefined
    }
  }

  const { defaults } = options
  const timeoutMs = spec.timeout ?? defaults.timeout

  // Topics
  const topics: string[] = []
  const topicPatterns: RegExp[] = []
  const topicList = spec.topics ?? (spec.topic === undefined ? [] : [spec.topic])
  if (topicList.length === 0) problem('', 'no topic: set topic or topics')
  if (spec.topic !== undefined && spec.topics !== undefined) problem('/topic', 'set topic or topics, not both')
  topicList.forEach((topic, index) => {
    const pointer = spec.topics === undefined ? '/topic' : `/topics/${index}`
    if (isRegexPattern(topic)) {
      const compiled = attempt(pointer, () => compileRegex(topic, pointer))
      if (compiled !== undefined) topicPatterns.push(compiled.regex)
    } else if (!/^[A-Za-z0-9._-]+$/.test(topic)) {
      problem(pointer, `'${topic}' is not a valid topic name`)
    } else {
      topics.push(topic)
    }
  })

  // Limiters, of the rule and of each case
  function compileLimiters (spec: Record<string, string> | undefined, pointer: string): CompiledLimiter[] {
    const compiled: CompiledLimiter[] = []
    for (const [type, keySource] of Object.entries(spec ?? {})) {
      if (!options.limiterTypes.has(type)) {
        problem(`${pointer}/${type}`, `limiter type '${type}' is not declared in the configuration's limiters`)
        continue
      }
      const key = attempt(`${pointer}/${type}`, () => compileTemplateString(keySource))
      if (key !== undefined) compiled.push({ type, key })
    }
    return compiled
  }
  const limiters = compileLimiters(spec.limiters, '/limiters')

  // Cases
  const discardCanary = spec.discard_canary_events ?? defaults.discard_canary_events
  const caseSpecs: Array<{ spec: RuleCaseSpec, pointer: string }> = spec.cases === undefined
    ? [{ spec, pointer: '' }]
    : spec.cases.map((item, index) => ({ spec: item, pointer: `/cases/${index}` }))
  if (spec.cases !== undefined) {
    for (const key of ['match', 'match_not', 'exec'] as const) {
      if (spec[key] !== undefined) problem(`/${key}`, `${key} cannot be combined with cases; put it into each case`)
    }
  }
  const cases: CompiledCase[] = []
  caseSpecs.forEach(({ spec: caseSpec, pointer }, index) => {
    const match = attempt(`${pointer}/match`, () => compileMatch(caseSpec.match, `${pointer}/match`))
    const matchNotList = caseSpec.match_not === undefined ? [] : Array.isArray(caseSpec.match_not) ? caseSpec.match_not : [caseSpec.match_not]
    const matchNot = attempt(`${pointer}/match_not`, () => compileMatchNot(
      discardCanary ? [canary, ...matchNotList] : matchNotList,
      `${pointer}/match_not`
    ))
    const execList = caseSpec.exec === undefined ? [] : Array.isArray(caseSpec.exec) ? caseSpec.exec : [caseSpec.exec]
    const exec = execList.map((request, requestIndex) => {
      const requestPointer = `${pointer}/exec${Array.isArray(caseSpec.exec) ? `/${requestIndex}` : ''}`
      return attempt(requestPointer, () => compileRequest(request, requestPointer, timeoutMs))
    })
    const sampleSpec = caseSpec.sample ?? spec.sample ?? defaults.sample
    const samplePointer = caseSpec.sample !== undefined ? `${pointer}/sample` : spec.sample !== undefined ? '/sample' : '(default sample)'
    const sampler = sampleSpec === undefined ? undefined : attempt(`${samplePointer}/hash_template`, () => compileSample(sampleSpec))
    const caseLimiters = spec.cases === undefined || caseSpec.limiters === undefined ? limiters : compileLimiters(caseSpec.limiters, `${pointer}/limiters`)
    if (match !== undefined && matchNot !== undefined && exec.every((item) => item !== undefined)) {
      cases.push({ index, match, matchNot, exec: exec as CompiledRequest[], sampler, limiters: caseLimiters })
    }
  })

  // Failure handling
  const retryOn = attempt('/retry_on/status', () => compileCondition(spec.retry_on ?? defaults.retry_on))
  const ignore = attempt('/ignore/status', () => compileCondition(spec.ignore ?? defaults.ignore))

  // Dedupe and limiters
  const dedupeSpec = spec.dedupe ?? options.dedupeByDefault
  let dedupe: CompiledRule['dedupe']
  if (dedupeSpec !== false) {
    const keySource = typeof dedupeSpec === 'object' ? dedupeSpec.key : undefined
    dedupe = { key: keySource === undefined ? undefined : attempt('/dedupe/key', () => compileTemplateString(keySource)) }
  }
  // Static block list: the rule's own replaces the configuration's.
  const disableBlacklist = spec.disable_blacklist ?? defaults.disable_blacklist
  const blacklisted = disableBlacklist
    ? undefined
    : attempt(spec.blacklist === undefined ? '(default blacklist)' : '/blacklist', () => compileBlacklist(spec.blacklist ?? defaults.blacklist))

  // Protecting the target: rate, back-off, Retry-After; and delayed execution.
  const rateLimit = spec.rate_limit ?? defaults.rate_limit
  const backoffSpec = spec.failure_backoff ?? defaults.failure_backoff
  const backoffDefaults = defaults.failure_backoff === false ? undefined : defaults.failure_backoff
  const retryAfter = { ...defaults.retry_after, ...spec.retry_after }
  const delayUntil = spec.delay_until === undefined ? undefined : attempt('/delay_until', () => compileTemplateString(spec.delay_until as string))
  const backoff = backoffSpec === false
    ? undefined
    : {
        after: backoffSpec.after ?? backoffDefaults?.after ?? 5,
        initialMs: backoffSpec.delay ?? backoffDefaults?.delay ?? 1000,
        maxMs: backoffSpec.max_delay ?? backoffDefaults?.max_delay ?? 60000
      }
  if (backoff !== undefined && backoff.maxMs < backoff.initialMs) problem('/failure_backoff/max_delay', `max_delay (${backoff.maxMs}) is shorter than delay (${backoff.initialMs})`)

  if (problems.length > 0 || retryOn === undefined || ignore === undefined) throw new RuleInvalidError(problems)

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
    outcome: { retryOn, ignore, retryAfter: { statuses: new Set(retryAfter.statuses), maxDelayMs: retryAfter.max_delay } },
    retry: {
      retryLimit: spec.retry_limit ?? defaults.retry_limit,
      retryDelayMs: spec.retry_delay ?? defaults.retry_delay,
      retryFactor: spec.retry_factor ?? defaults.retry_factor
    },
    concurrency: spec.concurrency ?? defaults.concurrency,
    dedupe,
    limiters,
    blacklisted,
    rateLimit: rateLimit === undefined ? undefined : { perSecond: rateLimit.rate, burst: rateLimit.burst ?? 1 },
    backoff,
    delay: spec.delay === undefined && delayUntil === undefined ? undefined : { afterMs: spec.delay, until: delayUntil }
  }
}

function compileCondition (condition: StatusConditionSpec): StatusMatcher {
  const patterns = Array.isArray(condition.status) ? condition.status : [condition.status]
  return compileStatusPatterns(patterns)
}

function compileSample (sample: SampleSpec): Sampler {
  return createSampler(sample.rate, compileTemplateString(sample.hash_template))
}

function compileRequest (request: ExecRequestSpec, pointer: string, ruleTimeoutMs: number): CompiledRequest {
  const method = (request.method ?? 'get').toUpperCase()
  let module: ExecModule
  try {
    module = moduleOfUri(request.uri) ?? 'http'
  } catch (err) {
    if (err instanceof RouteRefused) throw new SpecProblem(`${pointer}/uri`, err.message)
    throw err
  }
  const produce = module === 'queue'
  if (module !== 'http' && method !== 'POST') throw new SpecProblem(`${pointer}/method`, `${request.uri} takes method post`)
  if (module !== 'http' && request.body === undefined) throw new SpecProblem(pointer, `${request.uri} needs a body: ${module === 'queue' || module === 'purge' ? 'the event or list of events' : 'the event'}`)
  if (module === 'http' && !/^https?:\/\/|^\{\{/.test(request.uri)) {
    throw new SpecProblem(`${pointer}/uri`, `must be an absolute http(s) URI (or ${produceRoute}), got '${request.uri}'`)
  }
  const uri = wrapPointer('/uri', () => compileTemplateString(request.uri, 'uri'))
  const headers = wrapPointer('/headers', () => compileTemplate(request.headers ?? {}))
  const query = request.query === undefined ? undefined : wrapPointer('/query', () => compileTemplate(request.query))
  const body = request.body === undefined ? undefined : wrapPointer('/body', () => compileTemplate(request.body))
  return { pointer, method, uri, headers, query, body, timeoutMs: request.timeout ?? ruleTimeoutMs, produce, module }
}

function wrapPointer<T> (prefix: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new TemplateSyntaxError(err.template, err.position, err.problem, prefix + err.pointer)
    throw err
  }
}
