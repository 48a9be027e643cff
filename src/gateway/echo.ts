import { boundValue, cutText } from '../log-bounds.js'
import type { ValueLimits } from '../log-bounds.js'
import type { FailedResult } from './respond.js'

/**
 * Bounds what the gateway's answers and error events copy from a request. A 9 MB `$schema`
 * once got an 18.9 MB answer (the event, and a message naming its `$schema`), and an invalid
 * event over Kafka's message size lost its error event. Every string is cut at
 * `answer_max_string_length` characters and all of one entry's strings together at 16 times
 * that; arrays and objects keep their first 100 entries. Each cut is marked (`…[N more
 * characters]`, `[N more items]`, `"…": "N more keys"`), so the reader knows the copy is not whole.
 */
export interface Echo {
  /** An answer's entry (`{status, event, context}`), its event and context bounded; the result itself is not changed. */
  entry(result: FailedResult): FailedResult
  /** One string, cut at the string limit. */
  text(value: string): string
}

const entryBudgetFactor = 16
const maxEntries = 100
/** Events nest at most `max_event_depth` (64 by default); an answer shows the first levels of them. */
const maxDepth = 32

export function createEcho (maxStringLength: number): Echo {
  const limits: ValueLimits = { maxStringLength, budget: maxStringLength * entryBudgetFactor, maxEntries, maxDepth, deepMarker: '[nested too deep]' }
  return {
    entry (result) {
      const budget = { left: limits.budget }
      // The context first: its message and errors say what is wrong, and come before the copy.
      const context = boundValue(result.context, limits, budget) as FailedResult['context']
      return { ...result, context, event: boundValue(result.event, limits, budget) } as FailedResult
    },
    text: (value) => cutText(value, maxStringLength)
  }
}
