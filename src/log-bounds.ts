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

export function createLogBounds (maxStringLength: number): LogBounds {
  const cut = (value: string, limit: number): string =>
    value.length <= limit ? value : `${value.slice(0, limit)}…[${value.length - limit} more characters]`

  function bound (value: unknown, budget: { left: number }, depth: number): unknown {
    if (typeof value === 'string') {
      const limit = Math.max(0, Math.min(maxStringLength, budget.left))
      budget.left -= Math.min(value.length, limit)
      return cut(value, limit)
    }
    if (value === null || typeof value !== 'object') return value
    if (depth >= maxDepth) return '[nested too deep to log]'
    if (Array.isArray(value)) {
      const out = value.slice(0, maxEntries).map((item) => bound(item, budget, depth + 1))
      if (value.length > maxEntries) out.push(`[${value.length - maxEntries} more items]`)
      return out
    }
    if (value instanceof Error) return value
    const json = (value as { toJSON?: unknown }).toJSON
    if (typeof json === 'function') return bound(json.call(value), budget, depth)
    const keys = Object.keys(value)
    const out: Record<string, unknown> = {}
    for (const key of keys.slice(0, maxEntries)) out[cut(key, maxStringLength)] = bound((value as Record<string, unknown>)[key], budget, depth + 1)
    if (keys.length > maxEntries) out['…'] = `${keys.length - maxEntries} more keys`
    return out
  }

  const newBudget = (): { left: number } => ({ left: maxStringLength * lineBudgetFactor })
  return {
    text: (value) => cut(value, maxStringLength * lineBudgetFactor),
    object (value, keep) {
      const budget = newBudget()
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = keep?.has(key) === true ? item : bound(item, budget, 1)
      return out
    },
    value: (value) => bound(value, newBudget(), 0)
  }
}
