/**
 * Bounds what one log line copies from untrusted data. An event's `$schema` of 5 MB once
 * became a 26 MB log line: every string is cut at `maxStringLength`, and all strings of one line
 * together at `lineBudgetFactor` times that; arrays and objects keep their first entries and
 * nesting stops at a fixed depth. Cuts are marked, so a reader knows the line is not whole.
 */
export interface LogBounds {
  /** A message string. */
  text(value: string): string
  /** A merging object, its values bounded; `keep` keys are left to their serializers. */
  object(value: Record<string, unknown>, keep?: ReadonlySet<string>): Record<string, unknown>
  /** Any value, e.g. the output of a serializer. */
  value(value: unknown): unknown
}

const lineBudgetFactor = 8
const maxEntries = 50
const maxDepth = 8

/** How much of untrusted data one output (a log line, an answer's entry) copies. */
export interface ValueLimits {
  /** Longest string; longer ones are cut and marked. */
  maxStringLength: number
  /** All strings of one value together, in characters. */
  budget: number
  /** Entries of an array or object; the rest are counted in a marker. */
  maxEntries: number
  /** Nesting below this becomes `deepMarker`. */
  maxDepth: number
  deepMarker: string
}

/** `value` cut at `limit` characters, with a marker saying how much was left out. */
export function cutText (value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit)}…[${value.length - limit} more characters]`
}

/**
 * A copy of `value` within `limits` (the budget is spent as strings are copied, depth first).
 * Errors are kept as they are, for the logger's serializer; toJSON() is followed.
 */
export function boundValue (value: unknown, limits: ValueLimits, budget: { left: number } = { left: limits.budget }, depth = 0): unknown {
  if (typeof value === 'string') {
    const limit = Math.max(0, Math.min(limits.maxStringLength, budget.left))
    budget.left -= Math.min(value.length, limit)
    return cutText(value, limit)
  }
  if (value === null || typeof value !== 'object') return value
  if (depth >= limits.maxDepth) return limits.deepMarker
  if (Array.isArray(value)) {
    const out = value.slice(0, limits.maxEntries).map((item) => boundValue(item, limits, budget, depth + 1))
    if (value.length > limits.maxEntries) out.push(`[${value.length - limits.maxEntries} more items]`)
    return out
  }
  if (value instanceof Error) return value
  const json = (value as { toJSON?: unknown }).toJSON
  if (typeof json === 'function') return boundValue(json.call(value), limits, budget, depth)
  const keys = Object.keys(value)
  const out: Record<string, unknown> = {}
  for (const key of keys.slice(0, limits.maxEntries)) out[cutText(key, limits.maxStringLength)] = boundValue((value as Record<string, unknown>)[key], limits, budget, depth + 1)
  if (keys.length > limits.maxEntries) out['…'] = `${keys.length - limits.maxEntries} more keys`
  return out
}

export function createLogBounds (maxStringLength: number): LogBounds {
  const limits: ValueLimits = { maxStringLength, budget: maxStringLength * lineBudgetFactor, maxEntries, maxDepth, deepMarker: '[nested too deep to log]' }
  const newBudget = (): { left: number } => ({ left: limits.budget })
  return {
    text: (value) => cutText(value, limits.budget),
    object (value, keep) {
      const budget = newBudget()
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = keep?.has(key) === true ? item : boundValue(item, limits, budget, 1)
      return out
    },
    value: (value) => boundValue(value, limits, newBudget(), 0)
  }
}
