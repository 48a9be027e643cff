import { checkStreamRegex } from '../stream-config/index.js'
import { InvalidFilterError } from './errors.js'

/** One `filter[<path>]=...` parameter: the event matches when the value at `path` equals any of `values` or matches any of `patterns`. */
export interface FieldFilter {
  path: string
  segments: string[]
  values: string[]
  patterns: RegExp[]
}

/** A client's server-side selection: every field filter must match (all-of), and canaries may be left out. */
export interface EventFilter {
  fields: FieldFilter[]
  excludeCanary: boolean
}

export interface FilterLimits {
  maxFilters: number
  maxValues: number
}

const filterParam = /^filter\[([^\]]+)\]$/
const pathPattern = /^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/
const maxPathLength = 256
const maxPatternLength = 256

/**
 * Reads `filter[<dotted.path>]=v1,v2` (any-of; the parameter may also repeat) and
 * `canary=include|exclude` from a query. Every problem is a 400 before any stream byte:
 * an unsafe regex, an empty value, too many filters or values, an unknown `canary`.
 */
export function parseFilter (query: Record<string, unknown>, limits: FilterLimits): EventFilter {
  const fields: FieldFilter[] = []
  for (const [name, raw] of Object.entries(query)) {
    const match = filterParam.exec(name)
    if (match === null) {
      if (name.startsWith('filter')) throw new InvalidFilterError(`${JSON.stringify(name)} is not a filter: write filter[<dotted.path>]=<value>[,<value>...]`)
      continue
    }
    fields.push(fieldFilter(match[1]!, raw, limits))
  }
  if (fields.length > limits.maxFilters) throw new InvalidFilterError(`at most ${limits.maxFilters} filters per request; got ${fields.length}`)
  return { fields, excludeCanary: canaryOption(query.canary) }
}

function fieldFilter (path: string, raw: unknown, limits: FilterLimits): FieldFilter {
  if (path.length > maxPathLength || !pathPattern.test(path)) throw new InvalidFilterError(`filter path ${JSON.stringify(path)} must be dotted field names (letters, digits, _ $ @ -)`)
  const segments = path.split('.')
  if (segments.some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) throw new InvalidFilterError(`filter path ${JSON.stringify(path)} names a reserved property`)
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','))
  if (items.length > limits.maxValues) throw new InvalidFilterError(`filter[${path}] has more than ${limits.maxValues} values`)
  const values: string[] = []
  const patterns: RegExp[] = []
  for (const item of items) {
    if (item === '') throw new InvalidFilterError(`filter[${path}] has an empty value`)
    if (item.length >= 2 && item.startsWith('/') && item.endsWith('/')) patterns.push(safeRegex(path, item.slice(1, -1)))
    else values.push(item)
  }
  return { path, segments, values, patterns }
}

/**
 * Kasocki accepted only regexes `safe-regex` passed; here: the stream-config rules (no
 * back-references, no nested quantifiers), and no quantified group at all, nor more than two
 * unbounded quantifiers, so matching stays linear-ish in the field's length.
 */
export function safeRegex (path: string, source: string): RegExp {
  const unsafe = (reason: string): InvalidFilterError => new InvalidFilterError(`filter[${path}] regex /${source}/ is refused: ${reason}`)
  if (source.length > maxPatternLength) throw unsafe(`longer than ${maxPatternLength} characters`)
  const problem = checkStreamRegex(source)
  if (problem !== undefined) throw unsafe(problem)
  if (/\)\s*([*+?]|\{\d)/.test(source)) throw unsafe('a quantified group (like (ab)+) can backtrack catastrophically')
  if (/\(\?<?[=!]/.test(source)) throw unsafe('lookarounds are not allowed')
  const unbounded = source.replace(/\\./g, '').match(/[*+]|\{\d+,\}/g)?.length ?? 0
  if (unbounded > 2) throw unsafe('more than two unbounded quantifiers')
  return new RegExp(source)
}

function canaryOption (value: unknown): boolean {
  if (value === undefined || value === '' || value === 'include') return false
  if (value === 'exclude') return true
  throw new InvalidFilterError(`canary must be include or exclude; got ${JSON.stringify(value)}`)
}

/** True when no field filter is set and canaries are kept: every event passes. */
export function passesEverything (filter: EventFilter): boolean {
  return filter.fields.length === 0 && !filter.excludeCanary
}

/** Whether an event passes the filter. Only own properties are followed; a missing field never matches. */
export function matchesFilter (filter: EventFilter, event: Record<string, unknown>): boolean {
  if (filter.excludeCanary && valueAt(event, ['meta', 'domain']) === 'canary') return false
  for (const field of filter.fields) {
    if (!fieldMatches(field, valueAt(event, field.segments))) return false
  }
  return true
}

function fieldMatches (field: FieldFilter, subject: unknown): boolean {
  if (Array.isArray(subject)) return subject.some((item) => scalarMatches(field, item))
  return scalarMatches(field, subject)
}

function scalarMatches (field: FieldFilter, subject: unknown): boolean {
  if (typeof subject !== 'string' && typeof subject !== 'number' && typeof subject !== 'boolean') return false
  const text = String(subject)
  return field.values.includes(text) || field.patterns.some((p) => p.test(text))
}

function valueAt (event: Record<string, unknown>, segments: readonly string[]): unknown {
  let current: unknown = event
  for (const segment of segments) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}
