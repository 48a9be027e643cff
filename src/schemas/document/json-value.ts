/** Plain JSON values as parsed from a schema document. */
export function isRecord (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Structural equality of parsed JSON values (key order ignored). */
export function deepEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

/**
 * Checks a parsed document against a nesting depth and a value count. Returns
 * which limit is exceeded, if any. The value count guards against YAML aliases:
 * `*a` references cost a few bytes in the text but are expanded by every walk
 * and copy, so a document with more values than bytes is an alias bomb.
 */
export function exceededJsonLimit (value: unknown, limits: { maxDepth: number, maxValues: number }): 'depth' | 'values' | undefined {
  let values = 0
  const visit = (node: unknown, depth: number): 'depth' | 'values' | undefined => {
    values += 1
    if (values > limits.maxValues) return 'values'
    if (node === null || typeof node !== 'object') return undefined
    if (depth >= limits.maxDepth) return 'depth'
    for (const child of Object.values(node)) {
      const exceeded = visit(child, depth + 1)
      if (exceeded !== undefined) return exceeded
    }
    return undefined
  }
  return visit(value, 0)
}
