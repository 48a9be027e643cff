import type { ChainedEvent } from './chain.js'
import { triggeredBy } from './chain.js'
import type { ChangeEvent } from './decode.js'
import { ExecProduceError, HttpNetworkError, HttpStatusError, HttpTimeoutError } from './errors.js'
import type { StepResult } from './outcome.js'
import { delayStreamOf, errorStreamOf, retryStreamOf } from '../stream-config/index.js'

/**
 * Retry and error events. Their shapes follow Wikimedia Change Propagation
 * (`/change-prop/retry/1.0.0` and `/error/0.0.3`) so existing tooling reads them, with
 * one difference: error events carry the Sluice error code. Their topics are named in
 * src/stream-config/topology.ts.
 */

export function emitterIdOf (service: string, rule: string): string {
  return `${service}#${rule}`
}

/** The HTTP-like status recorded for a failure: 504 for timeouts, 502 network, 503 produce. */
export function failureStatus (result: StepResult): number | undefined {
  switch (result.kind) {
    case 'response': return result.status
    case 'timeout': return 504
    case 'network': return 502
    case 'produce-failed': return 503
    default: return undefined
  }
}

/** The failure as an error with a stable code. */
export function failureError (result: StepResult, retriable: boolean): Error {
  switch (result.kind) {
    case 'response': return new HttpStatusError(result.status, result.headers, result.body, retriable)
    case 'timeout': return new HttpTimeoutError(result.timeoutMs)
    case 'network': return new HttpNetworkError(`exec request failed: ${result.error.message}`, { cause: result.error })
    case 'produce-failed': return new ExecProduceError(`producing exec events failed: ${result.error.message}`, { cause: result.error })
    case 'render-failed':
    case 'produce-refused': return result.error
    case 'produced': return new Error('not a failure')
  }
}

/** `reason` of a retry event: the body's title or message when it is a JSON object, else the text. */
export function failureReason (result: StepResult): string {
  if (result.kind !== 'response') return failureError(result, true).message
  try {
    const body: unknown = JSON.parse(result.body)
    if (body !== null && typeof body === 'object') {
      const { title, message } = body as { title?: unknown, message?: unknown }
      if (typeof title === 'string') return title
      if (typeof message === 'string') return message
    }
  } catch {
    // Not JSON: the text itself is the reason.
  }
  return result.body === '' ? `HTTP ${result.status}` : result.body.slice(0, 1024)
}

export interface RetryEventInput {
  service: string
  rule: string
  /** The topic the rule consumed, without the datacenter prefix. */
  topic: string
  /** The event just handled: the original event, or the retry event on later attempts. */
  handled: ChainedEvent
  original: ChangeEvent
  retriesLeft: number
  failure: StepResult
  id: string
  now: number
  /** Milliseconds since the epoch before which the retry must not run: the target's Retry-After. */
  notBefore?: number | undefined
}

/**
 * A retry event. One whose target asked for a later retry (Retry-After) carries `not_before`,
 * added in `/change-prop/retry/1.1.0`; the others stay `/change-prop/retry/1.0.0`, the
 * reference's shape.
 */
export function buildRetryEvent (input: RetryEventInput): Record<string, unknown> {
  return {
    $schema: input.notBefore === undefined ? '/change-prop/retry/1.0.0' : '/change-prop/retry/1.1.0',
    meta: metaOf(retryStreamOf(input.service, input.topic), input.original, input.id, input.now),
    dt: new Date(input.now).toISOString(),
    triggered_by: triggeredBy(input.handled, input.topic),
    emitter_id: emitterIdOf(input.service, input.rule),
    retries_left: input.retriesLeft,
    original_event: input.original,
    ...(failureStatus(input.failure) === undefined ? {} : { error_status: failureStatus(input.failure) }),
    reason: failureReason(input.failure),
    ...(input.notBefore === undefined ? {} : { not_before: new Date(input.notBefore).toISOString() })
  }
}

/** The `meta` of an event change propagation writes about `original`: its uri, domain and request id. */
function metaOf (stream: string, original: ChangeEvent, id: string, now: number): Record<string, unknown> {
  const meta = original.meta
  return {
    stream,
    id,
    dt: new Date(now).toISOString(),
    ...(typeof meta.uri === 'string' ? { uri: meta.uri } : {}),
    ...(typeof meta.domain === 'string' ? { domain: meta.domain } : {}),
    ...(typeof meta.request_id === 'string' ? { request_id: meta.request_id } : {})
  }
}

export interface DelayEventInput {
  service: string
  rule: string
  /** The topic the rule consumed, without the datacenter prefix. */
  topic: string
  original: ChangeEvent
  /** Milliseconds since the epoch: the rule runs the event no earlier. */
  delayUntil: number
  id: string
  now: number
}

/**
 * A `/change-prop/delay/1.0.0` event: a rule's execution of `original_event` that waits until
 * `delay_until` in `<prefix><service>.delay.<topic>` instead of in its partition.
 */
export function buildDelayEvent (input: DelayEventInput): Record<string, unknown> {
  return {
    $schema: '/change-prop/delay/1.0.0',
    meta: metaOf(delayStreamOf(input.service, input.topic), input.original, input.id, input.now),
    dt: new Date(input.now).toISOString(),
    triggered_by: triggeredBy(input.original, input.topic),
    emitter_id: emitterIdOf(input.service, input.rule),
    delay_until: new Date(input.delayUntil).toISOString(),
    original_event: input.original
  }
}

export interface ErrorEventInput {
  service: string
  rule: string
  /** The event as handled (the retry event after retries), when the message was one. */
  handled: ChangeEvent | undefined
  /** The message text, used when it did not decode. */
  raw: string
  error: Error
  failure?: StepResult | undefined
  chain?: string | undefined
  id: string
  now: number
}

/** An `/error/0.0.3` event for `<prefix><service>.error`. */
export function buildErrorEvent (input: ErrorEventInput): Record<string, unknown> {
  const meta = input.handled?.meta ?? {}
  const original = (input.handled?.original_event as ChangeEvent | undefined)?.meta
  const uri = typeof meta.uri === 'string' ? meta.uri : typeof original?.uri === 'string' ? original.uri : undefined
  const domain = typeof meta.domain === 'string' && meta.domain !== '' ? meta.domain : 'unknown'
  const code = (input.error as { code?: unknown }).code
  return {
    $schema: '/error/0.0.3',
    meta: {
      stream: errorStreamOf(input.service),
      id: input.id,
      dt: new Date(input.now).toISOString(),
      domain,
      ...(uri === undefined ? {} : { uri }),
      ...(typeof meta.request_id === 'string' ? { request_id: meta.request_id } : {})
    },
    dt: new Date(input.now).toISOString(),
    emitter_id: emitterIdOf(input.service, input.rule),
    raw_event: input.handled === undefined ? input.raw : JSON.stringify(input.handled),
    message: input.error.message,
    ...(typeof code === 'string' ? { error_code: code } : {}),
    ...(input.chain === undefined ? {} : { triggered_by: input.chain }),
    ...(input.failure?.kind === 'response'
      ? { details: { status: input.failure.status, headers: input.failure.headers, body: input.failure.body } }
      : {})
  }
}

/**
 * The error event written instead of an event Kafka refused for good (a retry or error event
 * larger than the topic allows, a topic it may not write): `raw_event` keeps its first
 * `maxRawBytes` bytes and HTTP details their status only, so the event fits where the full one
 * did not. The error schema has no field for the cut, so `message` says it, with the sizes.
 */
export function buildBoundedErrorEvent (input: ErrorEventInput, maxRawBytes: number): Record<string, unknown> {
  const event = buildErrorEvent(input)
  const cause = input.error.cause instanceof Error ? `; the event had failed with: ${input.error.cause.message}` : ''
  let message = `${input.error.message}${cause}`.slice(0, 2048)
  const raw = event.raw_event as string
  const kept = truncateUtf8(raw, maxRawBytes)
  if (kept.length < raw.length) {
    event.raw_event = kept
    message += ` [raw_event truncated: first ${Buffer.byteLength(kept)} of ${Buffer.byteLength(raw)} bytes]`
  }
  event.message = message
  if (input.failure?.kind === 'response') event.details = { status: input.failure.status }
  return event
}

/** The longest prefix of `text` within `maxBytes` bytes of UTF-8 that does not split a character. */
export function truncateUtf8 (text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text
  let end = maxBytes
  // Continuation bytes are 10xxxxxx: step back to the start of the character cut in two.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}
