import { SluiceError } from '../errors.js'

// Every code here is listed, with its meaning, in docs/changeprop.md.

export interface RuleProblem {
  rule: string
  /** JSON pointer inside the rule, '' for the rule itself. */
  pointer: string
  /** The file the rule came from, when it came from a file. */
  source?: string
  message: string
}

export function describeRuleProblem (problem: RuleProblem): string {
  const where = problem.source === undefined ? '' : ` (${problem.source})`
  return `rule '${problem.rule}'${where} at '${problem.pointer === '' ? '/' : problem.pointer}': ${problem.message}`
}

/** One or more rules failed validation or compilation at startup. */
export class RuleInvalidError extends SluiceError {
  readonly problems: readonly RuleProblem[]
  constructor (problems: readonly RuleProblem[], options: { cause?: unknown } = {}) {
    const lines = problems.map(describeRuleProblem)
    super('SLUICE_ERR_CHANGEPROP_RULE_INVALID', lines.length === 1 ? `Invalid ${lines[0] as string}` : `Invalid rules:\n  - ${lines.join('\n  - ')}`, { statusCode: 500, cause: options.cause })
    this.problems = problems
  }
}

/** `kafka.create_topics: false`, and topics a rule's consumers need do not exist. */
export class TopicsMissingError extends SluiceError {
  readonly topics: readonly string[]
  constructor (topics: readonly string[]) {
    super('SLUICE_ERR_CHANGEPROP_TOPICS_MISSING', `These topics do not exist and kafka.create_topics is false, so they are not created: ${topics.join(', ')}. Create them, or set kafka.create_topics: true.`, { statusCode: 500 })
    this.topics = topics
  }
}

/** A template string does not parse. Raised at startup, wrapped in RuleInvalidError. */
export class TemplateSyntaxError extends SluiceError {
  readonly template: string
  readonly position: number
  readonly problem: string
  /** JSON pointer of the string inside the compiled value, '' for a lone string. */
  readonly pointer: string
  constructor (template: string, position: number, problem: string, pointer = '') {
    super('SLUICE_ERR_CHANGEPROP_TEMPLATE_SYNTAX', `${problem} at character ${position} of '${template}'`, { statusCode: 500 })
    this.template = template
    this.position = position
    this.problem = problem
    this.pointer = pointer
  }
}

/** A template could not be evaluated for one event (e.g. `date()` of a non-date). Not retried. */
export class TemplateRenderError extends SluiceError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_TEMPLATE_RENDER', message, { statusCode: 500, retriable: false, cause: options.cause })
  }
}

/** A consumed message is not a JSON object with a `meta` object. Sent to the error topic. */
export class EventMalformedError extends SluiceError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_EVENT_MALFORMED', message, { statusCode: 400, retriable: false, cause: options.cause })
  }
}

/** An exec request got an HTTP status that is neither success nor ignored. */
export class HttpStatusError extends SluiceError {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
  constructor (status: number, headers: Record<string, string>, body: string, retriable: boolean) {
    super('SLUICE_ERR_CHANGEPROP_HTTP_STATUS', `exec request answered ${status}`, { statusCode: 502, retriable })
    this.status = status
    this.headers = headers
    this.body = body
  }
}

/** An exec request failed below HTTP (connection refused, reset, DNS). Always retried. */
export class HttpNetworkError extends SluiceError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_HTTP_NETWORK', message, { statusCode: 502, retriable: true, cause: options.cause })
  }
}

/** An exec request did not complete within its timeout. Always retried. */
export class HttpTimeoutError extends SluiceError {
  readonly timeoutMs: number
  constructor (timeoutMs: number) {
    super('SLUICE_ERR_CHANGEPROP_HTTP_TIMEOUT', `exec request timed out after ${timeoutMs} ms`, { statusCode: 504, retriable: true })
    this.timeoutMs = timeoutMs
  }
}

/** Events of an exec `produce` step could not be written to Kafka. Retried like a 5xx. */
export class ExecProduceError extends SluiceError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_PRODUCE', message, { statusCode: 503, retriable: true, cause: options.cause })
  }
}

/**
 * Kafka refused a retry, error or exec-produced event for a reason no retry changes (the
 * record is larger than the topic's `max.message.bytes`, the topic name is invalid, the
 * service may not write it). The event goes to the error topic instead, in bounded form.
 */
export class ProduceRefusedError extends SluiceError {
  /** What was refused: a retry event, an error event, a delay event or an exec step's events. */
  readonly refused: 'retry' | 'error' | 'exec' | 'delay'
  /** The Kafka protocol error (`MESSAGE_TOO_LARGE`, `TOPIC_AUTHORIZATION_FAILED`, ...), when the broker named one. */
  readonly kafkaError: string | undefined
  constructor (refused: 'retry' | 'error' | 'exec' | 'delay', kafkaError: string | undefined, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_PRODUCE_REFUSED', `Kafka refused the ${refused === 'exec' ? 'events of an exec step' : `${refused} event`} for good${kafkaError === undefined ? '' : ` (${kafkaError})`}`,
      { statusCode: 500, retriable: false, cause: options.cause })
    this.refused = refused
    this.kafkaError = kafkaError
  }
}

/** An event that a rule would produce is already in its own `triggered_by` chain, or the chain is too long. */
export class LoopDetectedError extends SluiceError {
  readonly hop: string
  constructor (hop: string, reason: 'cycle' | 'depth') {
    super('SLUICE_ERR_CHANGEPROP_LOOP', reason === 'cycle'
      ? `'${hop}' is already in the triggered_by chain; not producing it again`
      : `the triggered_by chain is too long; not producing '${hop}'`, { statusCode: 508, retriable: false })
    this.hop = hop
  }
}

/** The last attempt failed and no retry is left; the event goes to the error topic. */
export class RetriesExhaustedError extends SluiceError {
  readonly attempts: number
  constructor (attempts: number, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_RETRIES_EXHAUSTED', `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`, { statusCode: 502, retriable: false, cause: options.cause })
    this.attempts = attempts
  }
}

/** Redis (dedupe or limiter store) failed. Logged; the check then lets the event through. */
export class StateStoreError extends SluiceError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super('SLUICE_ERR_CHANGEPROP_STATE_STORE', message, { statusCode: 503, retriable: true, cause: options.cause })
  }
}

/** Codes the change-propagation module can raise; the docs table must list each one. */
export const changepropErrorCodes = [
  'SLUICE_ERR_CHANGEPROP_RULE_INVALID',
  'SLUICE_ERR_CHANGEPROP_TEMPLATE_SYNTAX',
  'SLUICE_ERR_CHANGEPROP_TEMPLATE_RENDER',
  'SLUICE_ERR_CHANGEPROP_EVENT_MALFORMED',
  'SLUICE_ERR_CHANGEPROP_HTTP_STATUS',
  'SLUICE_ERR_CHANGEPROP_HTTP_NETWORK',
  'SLUICE_ERR_CHANGEPROP_HTTP_TIMEOUT',
  'SLUICE_ERR_CHANGEPROP_PRODUCE',
  'SLUICE_ERR_CHANGEPROP_PRODUCE_REFUSED',
  'SLUICE_ERR_CHANGEPROP_LOOP',
  'SLUICE_ERR_CHANGEPROP_RETRIES_EXHAUSTED',
  'SLUICE_ERR_CHANGEPROP_STATE_STORE'
] as const
