/** The outcome of one event, in EventGate's `EventStatus` JSON shape. */
export type EventResult =
  | { status: 'success' }
  | { status: 'invalid', event: unknown, context: { errors: readonly object[], errorsText: string } }
  | { status: 'error', event: unknown, context: { message: string, code?: string }, unavailable?: boolean, retryAfterMs?: number }

export type FailedResult = Exclude<EventResult, { status: 'success' }>

export interface Answer {
  statusCode: number
  /** HTTP reason phrase; MediaWiki's EventBus logs it. */
  reason: string
  body?: { invalid: FailedResult[], error?: FailedResult[] }
  /** Seconds, for 503. */
  retryAfter?: number
}

/**
 * EventGate's status rules: 201 all accepted, 400 all invalid, 207 mixed, 500 no success and
 * at least one error. Sluice answers 503 (with Retry-After) instead of 500 when nothing was
 * accepted because Kafka could not take the events, so clients know a retry can succeed, and
 * 429 (with Retry-After) when every event was over its stream's `rate_limit`.
 */
export function respond (results: readonly EventResult[], retryAfterSeconds = 5): Answer {
  const invalid = results.filter((r): r is Extract<EventResult, { status: 'invalid' }> => r.status === 'invalid')
  const error = results.filter((r): r is Extract<EventResult, { status: 'error' }> => r.status === 'error')
  const total = results.length
  const success = total - invalid.length - error.length
  const failed = invalid.length + error.length
  if (failed === 0) {
    return { statusCode: 201, reason: `All ${success} out of ${total} events were accepted.` }
  }
  if (invalid.length === total) {
    return { statusCode: 400, reason: `${invalid.length} out of ${total} events were invalid and not accepted.`, body: { invalid } }
  }
  if (success > 0) {
    return {
      statusCode: 207,
      reason: `${success} out of ${total} events were accepted, but ${failed} failed (${invalid.length} invalid and ${error.length} errored).`,
      body: { invalid, error }
    }
  }
  const reason = `${failed} out of ${total} events had failures and were not accepted. (${invalid.length} invalid and ${error.length} errored).`
  if (error.length === total && error.every((r) => r.retryAfterMs !== undefined)) {
    // Every event is over its stream's rate: the whole request is too many requests.
    const retryAfter = Math.max(1, Math.ceil(Math.max(...error.map((r) => r.retryAfterMs ?? 0)) / 1000))
    return { statusCode: 429, reason, body: { invalid, error }, retryAfter }
  }
  if (error.some((r) => r.unavailable === true)) {
    return { statusCode: 503, reason, body: { invalid, error }, retryAfter: retryAfterSeconds }
  }
  return { statusCode: 500, reason, body: { invalid, error } }
}

export function hastyReason (count: number): string {
  return `${count} events hastily received.`
}
