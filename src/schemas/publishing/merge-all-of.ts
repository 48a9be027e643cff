import { appendPointer } from '../document/json-pointer.js'
import { isRecord, deepEqual } from '../document/json-value.js'
import { MergeConflictError } from '../errors.js'

const firstWins = new Set(['title', 'description', '$id', '$schema', '$comment', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated'])
const largestWins = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'])
const smallestWins = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'])
const comparedAsSets = new Set(['required', 'enum', 'type'])
const schemaMaps = new Set(['properties', 'patternProperties', 'definitions'])
const schemaValues = new Set(['additionalProperties', 'additionalItems', 'propertyNames'])

/**
 * Folds every `allOf` into its parent, at any depth, the way jsonschema-tools does
 * with json-schema-merge-allof (`ignoreAdditionalProperties: true`, first `examples` wins):
 * properties merge by name, `required` becomes the sorted union, `enum` and `type`
 * the intersection, bounds the tighter value, and `title`/`description`/`$id` come
 * from the including schema. A keyword the branches set to values that cannot be
 * combined is a `MergeConflictError`, never a silent pick.
 */
export function mergeAllOf (schema: unknown): unknown {
  return mergeSchemas([schema], '')
}

function mergeSchemas (input: readonly unknown[], pointer: string): unknown {
  const schemas: Array<Record<string, unknown>> = []
  for (const schema of flatten(input)) {
    if (schema === false) return false
    if (isRecord(schema)) schemas.push(schema)
  }
  if (schemas.length === 0) return true
  const keys: string[] = []
  for (const schema of schemas) for (const key of Object.keys(schema)) if (!keys.includes(key)) keys.push(key)
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    const values = schemas.filter((s) => Object.hasOwn(s, key) && s[key] !== undefined).map((s) => s[key])
    out[key] = mergeKeyword(key, values, appendPointer(pointer, key))
  }
  return out
}

/** The including schema first, then each `allOf` branch (recursively), as merge-allof orders them. */
function flatten (schemas: readonly unknown[]): unknown[] {
  const out: unknown[] = []
  for (const schema of schemas) {
    if (isRecord(schema) && Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = schema
      out.push(rest, ...flatten(allOf as unknown[]))
    } else {
      out.push(schema)
    }
  }
  return out
}

function mergeKeyword (key: string, values: readonly unknown[], pointer: string): unknown {
  if (schemaMaps.has(key)) {
    const maps = values.filter(isRecord)
    if (maps.length !== values.length) throw new MergeConflictError(pointer, key, values)
    const names: string[] = []
    for (const map of maps) for (const name of Object.keys(map)) if (!names.includes(name)) names.push(name)
    const merged: Record<string, unknown> = {}
    for (const name of names) {
      merged[name] = mergeSchemas(maps.filter((m) => Object.hasOwn(m, name)).map((m) => m[name]), appendPointer(pointer, name))
    }
    return merged
  }
  if (schemaValues.has(key)) return mergeSchemas(values, pointer)
  const distinct = uniqueValues(key, values)
  if (key === 'items') {
    if (distinct.every(isRecord) || distinct.every((v) => typeof v === 'boolean')) return mergeSchemas(distinct, pointer)
    if (distinct.length === 1 && Array.isArray(distinct[0])) return distinct[0].map((item, i) => mergeSchemas([item], appendPointer(pointer, i)))
    throw new MergeConflictError(pointer, key, distinct)
  }
  if (key === 'anyOf' || key === 'oneOf') {
    if (distinct.length !== 1 || !Array.isArray(distinct[0])) throw new MergeConflictError(pointer, key, distinct)
    return distinct[0].map((item, i) => mergeSchemas([item], appendPointer(pointer, i)))
  }
  // Combining two of these into one subschema would change what they mean, so only identical ones merge.
  if (key === 'if' || key === 'then' || key === 'else' || key === 'not' || key === 'contains') {
    if (distinct.length !== 1) throw new MergeConflictError(pointer, key, distinct)
    return mergeSchemas(distinct, pointer)
  }
  if (key === 'dependencies') {
    if (distinct.length !== 1 || !isRecord(distinct[0])) throw new MergeConflictError(pointer, key, distinct)
    const out: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(distinct[0])) out[name] = isRecord(value) ? mergeSchemas([value], appendPointer(pointer, name)) : value
    return out
  }
  if (distinct.length === 1) return distinct[0]
  if (firstWins.has(key)) return distinct[0]
  if (largestWins.has(key) && distinct.every((v) => typeof v === 'number')) return Math.max(...(distinct as number[]))
  if (smallestWins.has(key) && distinct.every((v) => typeof v === 'number')) return Math.min(...(distinct as number[]))
  if (key === 'uniqueItems') return distinct.includes(true)
  if (key === 'required' && distinct.every(Array.isArray)) {
    return [...new Set((distinct as unknown[][]).flat().map(String))].sort()
  }
  if ((key === 'enum' || key === 'type') && distinct.every((v) => Array.isArray(v) || (key === 'type' && typeof v === 'string'))) {
    const lists = distinct.map((v) => Array.isArray(v) ? v : [v])
    const [first, ...rest] = lists as [unknown[], ...unknown[][]]
    const common = first.filter((item) => rest.every((list) => list.some((other) => deepEqual(item, other))))
    if (common.length === 0) throw new MergeConflictError(pointer, key, distinct)
    return key === 'type' && common.length === 1 ? common[0] : common
  }
  throw new MergeConflictError(pointer, key, distinct)
}

function uniqueValues (key: string, values: readonly unknown[]): unknown[] {
  const out: unknown[] = []
  for (const value of values) {
    if (!out.some((seen) => sameValue(key, seen, value))) out.push(value)
  }
  return out
}

function sameValue (key: string, a: unknown, b: unknown): boolean {
  if (comparedAsSets.has(key) && Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x) => b.some((y) => deepEqual(x, y))) && b.every((y) => a.some((x) => deepEqual(x, y)))
  }
  return deepEqual(a, b)
}
