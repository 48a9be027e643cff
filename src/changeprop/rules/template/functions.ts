import { TemplateRenderError } from '../../errors.js'

// The functions a template expression may call (`date(…)`, `$$.merge(…)`): plain data in, plain
// data out, never code.

export const templateFunctionTable: Readonly<Record<string, (args: unknown[]) => unknown>> = {
  date ([value, format = 'rfc822']) {
    if (value === undefined || value === null) return undefined
    const time = toTime(value)
    if (format === 'iso') return new Date(time).toISOString()
    if (format === 'rfc822') {
      // toUTCString() always ends in 'GMT'; the reference writes the zone as +0000.
      const text = new Date(time).toUTCString()
      return `${text.slice(0, -3)}+0000`
    }
    throw new TemplateRenderError(`date(): unknown format '${String(format)}' (use 'rfc822' or 'iso')`)
  },
  decode ([value]) {
    if (value === undefined || value === null) return value
    try {
      return decodeURIComponent(String(value))
    } catch (err) {
      throw new TemplateRenderError(`decode(): '${String(value)}' is not URI-encoded text`, { cause: err })
    }
  },
  default ([value, fallback]) {
    return value === undefined || value === null ? fallback : value
  },
  merge ([target, source]) {
    // Keys of the first argument win, as in the reference ("no overwrite").
    return { ...asRecord(source, 'merge'), ...asRecord(target, 'merge') }
  },
  strip ([value, keys]) {
    const drop = new Set(Array.isArray(keys) ? keys.map(String) : [String(keys)])
    return Object.fromEntries(Object.entries(asRecord(value, 'strip')).filter(([key]) => !drop.has(key)))
  },
  filter ([value, keys]) {
    const keep = new Set(Array.isArray(keys) ? keys.map(String) : [String(keys)])
    return Object.fromEntries(Object.entries(asRecord(value, 'filter')).filter(([key]) => keep.has(key)))
  }
}

/** Names of the functions templates may call. */
export const templateFunctions: readonly string[] = Object.keys(templateFunctionTable)

function toTime (value: unknown): number {
  let time = Number.NaN
  if (typeof value === 'number') time = value
  else if (value instanceof Date) time = value.getTime()
  else if (typeof value === 'string') time = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  // A Date holds at most 8.64e15 ms either side of the epoch.
  if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) {
    throw new TemplateRenderError(`date(): '${String(value)}' is not a date`)
  }
  return time
}

function asRecord (value: unknown, fn: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new TemplateRenderError(`${fn}(): expects an object`)
  return value as Record<string, unknown>
}
