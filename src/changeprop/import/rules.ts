import { oresRetired } from '../rules/routes.js'
import { isObject } from './data.js'
import type { Data } from './data.js'
import type { ImportReport } from './report.js'

// The reference's rules (`templates`) carried over. Rules keep their names and every key
// Sluice knows; what the reference read but Sluice does not, and what the reference itself
// ignored (an unknown key, a misspelt request option), is dropped and reported.

const ruleKeys = new Set(['topic', 'topics', 'exclude_topics', 'match', 'match_not', 'cases', 'exec', 'retry_on', 'ignore', 'retry_limit',
  'retry_delay', 'retry_factor', 'timeout', 'concurrency', 'sample', 'limiters', 'blacklist', 'disable_blacklist', 'discard_canary_events'])
const caseKeys = new Set(['match', 'match_not', 'exec', 'sample', 'limiters'])
const requestKeys = new Set(['method', 'uri', 'headers', 'query', 'body', 'timeout'])

const droppedRuleKeys: Readonly<Record<string, string>> = {
  decode_results: 'responses are never passed to later requests, so decoding them changes nothing',
  report: 'failures that end in the error topic are logged at error (4xx at info)',
  consumer_batch_size: 'the consumer fetches by bytes (kafka.fetch_max_bytes)',
  reenqueue_delay: 'a delayed event is held for at most delay_hold_max_ms, one setting for every rule',
  disable_delayed_execution: 'handled: the rule gets no delay_until',
  claim_ttl: 'not supported',
  root_claim_ttl: 'not supported',
  consumer: 'per-rule librdkafka properties have no counterpart',
  disable_ratelimit: 'handled: the rule\'s limiters are left out',
  enable_blacklist: 'the reference never read this key',
  batch_size: 'the reference never read this key'
}

export interface ImportRulesOptions {
  /** Limiter types the configuration declares (from /sys/limit). */
  limiterTypes: ReadonlySet<string>
  disableRatelimit: boolean
  /** Whether rules wait for their events' `delay_until`, as the reference's did unless `disable_delayed_execution`. */
  delayedExecution: boolean
}

export function importRules (templates: unknown, path: string, options: ImportRulesOptions, report: ImportReport): Data {
  const rules: Data = {}
  for (const [name, spec] of Object.entries(isObject(templates) ? templates : {})) {
    const at = `${path}.${name}`
    if (!isObject(spec)) {
      report.dropped(at, 'a rule must be a mapping')
      continue
    }
    if (callsOres(spec)) {
      report.dropped(at, `the rule calls /sys/ores/: ${oresRetired}`)
      continue
    }
    const rule = importRule(spec, at, options, report)
    if (options.delayedExecution && spec.disable_delayed_execution !== true) {
      rule.delay_until = '{{message.delay_until}}'
      report.defaulted(`rules.${name}.delay_until`, String(rule.delay_until), 'the reference ran an event that carries delay_until no earlier than that time, in every rule')
    }
    rules[name] = rule
  }
  return rules
}

function importRule (spec: Data, at: string, options: ImportRulesOptions, report: ImportReport): Data {
  const rule: Data = {}
  const noLimiters = options.disableRatelimit || spec.disable_ratelimit === true
  for (const [key, value] of Object.entries(spec)) {
    if (!ruleKeys.has(key)) {
      report.dropped(`${at}.${key}`, droppedRuleKeys[key] ?? 'not a rule key (the reference ignored unknown keys)')
      continue
    }
    if (key === 'limiters') {
      const kept = importLimiters(value, `${at}.limiters`, options.limiterTypes, noLimiters, report)
      if (kept !== undefined) rule.limiters = kept
    } else if (key === 'exec') {
      rule.exec = importExec(value, `${at}.exec`, report)
    } else if (key === 'cases' && Array.isArray(value)) {
      rule.cases = value.map((item, index) => importCase(item, `${at}.cases[${index}]`, options, noLimiters, report))
    } else {
      rule[key] = value
    }
    if (key === 'retry_limit' && value === 0) report.mapped(`${at}.retry_limit`, 'retry_limit', '0 means no retry (the reference turned 0 into its default, 2 retries)')
  }
  return rule
}

function importCase (item: unknown, at: string, options: ImportRulesOptions, noLimiters: boolean, report: ImportReport): unknown {
  if (!isObject(item)) return item
  const result: Data = {}
  for (const [key, value] of Object.entries(item)) {
    if (!caseKeys.has(key)) {
      report.dropped(`${at}.${key}`, 'not a key of a case (the reference ignored it)')
    } else if (key === 'exec') {
      result.exec = importExec(value, `${at}.exec`, report)
    } else if (key === 'limiters') {
      const kept = importLimiters(value, `${at}.limiters`, options.limiterTypes, noLimiters, report)
      if (kept !== undefined) {
        result.limiters = kept
        report.mapped(`${at}.limiters`, 'the case\'s limiters', 'a case\'s limiters apply to that case (the reference read limiters of the rule only, and ignored these)')
      }
    } else {
      result[key] = value
    }
  }
  return result
}

function importExec (value: unknown, at: string, report: ImportReport): unknown {
  const requests = Array.isArray(value) ? value : [value]
  const imported = requests.map((request, index) => {
    if (!isObject(request)) return request
    const where = Array.isArray(value) ? `${at}[${index}]` : at
    const kept: Data = {}
    for (const [key, setting] of Object.entries(request)) {
      if (requestKeys.has(key)) kept[key] = setting
      else report.dropped(`${where}.${key}`, 'not a request option Sluice has (the reference passed it to its HTTP client, which ignores unknown options)')
    }
    return kept
  })
  return Array.isArray(value) ? imported : imported[0]
}

function importLimiters (value: unknown, at: string, types: ReadonlySet<string>, none: boolean, report: ImportReport): Data | undefined {
  if (!isObject(value)) return undefined
  if (none) {
    report.dropped(at, 'disable_ratelimit is set')
    return undefined
  }
  const kept: Data = {}
  for (const [type, key] of Object.entries(value)) {
    if (types.has(type)) kept[type] = key
    else report.dropped(`${at}.${type}`, 'no /sys/limit limiter of this type is configured, so the reference never limited it')
  }
  return Object.keys(kept).length === 0 ? undefined : kept
}

function callsOres (spec: Data): boolean {
  const requests = (value: unknown): unknown[] => Array.isArray(value) ? value : value === undefined ? [] : [value]
  const all = [...requests(spec.exec), ...(Array.isArray(spec.cases) ? spec.cases.flatMap((c) => isObject(c) ? requests(c.exec) : []) : [])]
  return all.some((request) => isObject(request) && typeof request.uri === 'string' && request.uri.startsWith('/sys/ores'))
}
