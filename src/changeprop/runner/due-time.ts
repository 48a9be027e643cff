import type { ConsumedMessage } from '../../kafka/index.js'
import type { ChangepropSource } from '../../metrics/changeprop.js'
import { sleep } from '../../deadline.js'
import type { ChangeEvent } from '../decode.js'
import { TemplateRenderError } from '../errors.js'
import { retryDelayMs } from '../outcome.js'
import type { CompiledDelay } from '../rules/compile.js'
import type { TemplateContext } from '../rules/template/index.js'
import { waitSignal } from './scope.js'
import type { RuleScope } from './scope.js'

// When an event runs: a retry after its delay (or the target's Retry-After), an event of a rule
// with `delay` or `delay_until` at its time; and waiting for it without an execution slot.

/**
 * The delay of a retry runs from the retry event's time, so time spent in the topic counts; a
 * retry whose target asked for a later one (`not_before`, from Retry-After) waits for that too.
 */
export async function waitUntilDue (scope: RuleScope, retry: ChangeEvent, retriesLeft: number, signal: AbortSignal): Promise<void> {
  const { now } = scope
  const since = typeof retry.meta.dt === 'string' ? Date.parse(retry.meta.dt) : Number.NaN
  const notBefore = typeof retry.not_before === 'string' ? Date.parse(retry.not_before) : Number.NaN
  const due = Math.max((Number.isNaN(since) ? now() : since) + retryDelayMs(retriesLeft, scope.rule.retry), Number.isNaN(notBefore) ? 0 : notBefore)
  await waiting(scope, 'retry', due - now(), signal)
  scope.metrics.delay.observe({ rule: scope.rule.name, source: 'retry' }, Math.max(0, now() - due) / 1000)
}

/** Waits for an event's time, counted as waiting (it holds no execution slot meanwhile). */
export async function waiting (scope: RuleScope, source: ChangepropSource, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return
  const { metrics, rule } = scope
  metrics.waiting.inc({ rule: rule.name, source })
  try {
    await sleep(ms, waitSignal(scope, signal))
  } finally {
    metrics.waiting.dec({ rule: rule.name, source })
  }
}

/** When a rule with `delay` or `delay_until` runs the event: the later of the two; undefined when neither applies. */
export function dueTimeOf (delay: CompiledDelay, context: TemplateContext, event: ChangeEvent, message: ConsumedMessage): number | undefined {
  let due: number | undefined
  if (delay.afterMs !== undefined) {
    // From the event's time; an event without one, from its record's.
    const dt = typeof event.meta.dt === 'string' ? Date.parse(event.meta.dt) : Number.NaN
    due = (Number.isNaN(dt) ? Number(message.timestamp) : dt) + delay.afterMs
  }
  const until = delay.until === undefined ? undefined : timeOf(delay.until(context))
  if (until !== undefined) due = Math.max(due ?? until, until)
  return due
}

/**
 * The time `delay_until` rendered, in milliseconds since the epoch: a number is one already; a
 * text is an ISO 8601 date (MediaWiki's jobs carry `delay_until` so) or an RFC 822 one; nothing
 * (undefined, null, '') means no delay. Anything else fails the event's template.
 */
export function timeOf (value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string') {
    const text = value.trim()
    if (/^\d{4}-\d{2}-\d{2}/.test(text) || /^[A-Z][a-z]{2}, /.test(text)) {
      const parsed = Date.parse(text)
      if (!Number.isNaN(parsed)) return parsed
    }
  }
  throw new TemplateRenderError(`delay_until rendered to ${JSON.stringify(value)}, which is not a time (an ISO 8601 date, an RFC 822 date or milliseconds since the epoch)`)
}
