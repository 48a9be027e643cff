import { appendPointer } from '../document/json-pointer.js'
import { isRecord, deepEqual } from '../document/json-value.js'
import { majorOf } from '../document/version.js'
import { typesOf } from '../document/walk.js'
import type { SchemaNode } from '../document/walk.js'
import { violation } from './violation.js'
import type { CompatibilityChange, Violation, ViolationSubject } from './violation.js'

export interface CompatibilityContext {
  /** The newer version: violations are reported against it. */
  subject: ViolationSubject
  olderVersion: string
  newerVersion: string
}

/**
 * Keywords that do not change what a materialized schema accepts. `definitions`
 * is among them: materialized files have no `$ref`, so nothing uses it.
 */
const annotations = new Set(['title', 'description', 'examples', '$id', '$schema', '$comment', 'deprecated', 'readOnly', 'writeOnly', 'definitions'])
/** Bounds a later minor may relax but not tighten. */
const upperBounds = new Set(['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'])
const lowerBounds = new Set(['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'])
const singleSchemas = new Set(['additionalProperties', 'additionalItems', 'items', 'propertyNames', 'contains', 'not', 'if', 'then', 'else'])
const schemaMaps = new Set(['patternProperties', 'dependencies'])
const schemaLists = new Set(['allOf', 'anyOf', 'oneOf'])

/**
 * Whether `newer` may replace `older` within one major version: a consumer
 * written for `older` must still understand every event valid under `newer`,
 * and a producer's events valid under `older` must stay valid. Only new
 * optional properties and new enum values pass; relaxing a numeric bound is
 * allowed too. Unlike jsonschema-tools, keys that exist only in the newer
 * schema are examined, so a new `maxLength`, `pattern`, `required` list or
 * `additionalProperties: false` is caught, and property names are never
 * confused with keywords (a property called `description` is compared too).
 */
export function checkCompatibility (older: SchemaNode, newer: SchemaNode, context: CompatibilityContext): Violation[] {
  const out: Violation[] = []
  const nextMajor = `${(majorOf(context.newerVersion) ?? 0) + 1}.0.0`
  const report = (change: CompatibilityChange, pointer: string, message: string, fix: string, before: unknown, after: unknown): void => {
    out.push(violation(context.subject, 'schema-version-compatibility', pointer,
      `${message} (compared with ${context.olderVersion})`, `${fix}, or publish as ${nextMajor}`,
      { change, comparedWith: context.olderVersion, before, after }))
  }
  compareSchemas(older, newer, '', report)
  return out
}

type Report = (change: CompatibilityChange, pointer: string, message: string, fix: string, before: unknown, after: unknown) => void

function compareSchemas (older: unknown, newer: unknown, pointer: string, report: Report): void {
  if (deepEqual(older, newer)) return
  if (!isRecord(older) || !isRecord(newer)) {
    // Boolean schemas: `true`/absent accepts anything, `false` nothing.
    if (older === false) return
    if (newer === false) report('additional-properties-closed', pointer, 'now accepts nothing (false)', 'keep accepting what it did', older, newer)
    else if (older === true || older === undefined) report('constraint-added', pointer, 'now constrained where anything was accepted', 'leave it unconstrained', older, newer)
    else report('constraint-removed', pointer, 'the schema was replaced by true', 'keep the schema', older, newer)
    return
  }
  // After a type change, differences in type-specific keywords (bounds, properties) are
  // consequences of it; reporting them too would bury the one thing to fix.
  if (compareTypes(older, newer, pointer, report)) return
  compareProperties(older, newer, pointer, report)
  compareRequired(older, newer, pointer, report)
  compareEnum(older, newer, pointer, report)
  const keys = new Set([...Object.keys(older), ...Object.keys(newer)])
  for (const key of keys) {
    if (annotations.has(key) || key === 'type' || key === 'properties' || key === 'required' || key === 'enum') continue
    const at = appendPointer(pointer, key)
    const before = older[key]
    const after = newer[key]
    if (deepEqual(before, after)) continue
    if (key === 'additionalProperties') compareAdditional(before, after, at, report)
    else if (singleSchemas.has(key)) compareSingle(key, before, after, at, report)
    else if (schemaMaps.has(key)) compareMap(key, before, after, at, report)
    else if (schemaLists.has(key)) compareList(key, before, after, at, report)
    else compareValue(key, before, after, at, report)
  }
}

/** Reports a changed `type`; true when the type changed (not merely added). */
function compareTypes (older: SchemaNode, newer: SchemaNode, pointer: string, report: Report): boolean {
  const before = typesOf(older)
  const after = typesOf(newer)
  const same = before.length === after.length && before.every((t) => after.includes(t))
  if (same) return false
  const at = appendPointer(pointer, 'type')
  if (before.length === 0) {
    report('constraint-added', at, `type ${after.join('|')} added where any type was accepted`, 'leave the type out', older.type, newer.type)
    return false
  }
  report('type-changed', at, `type changed from ${before.join('|')} to ${after.join('|') || 'any'}`,
    `keep the type ${before.join('|')} (add a new optional field for the new type)`, older.type, newer.type)
  return true
}

function compareProperties (older: SchemaNode, newer: SchemaNode, pointer: string, report: Report): void {
  const before = isRecord(older.properties) ? older.properties : {}
  const after = isRecord(newer.properties) ? newer.properties : {}
  for (const [name, schema] of Object.entries(before)) {
    const at = appendPointer(pointer, 'properties', name)
    if (!Object.hasOwn(after, name)) {
      report('property-removed', at, `property '${name}' was removed`, `keep '${name}' (say it is deprecated in its description)`, schema, undefined)
    } else {
      compareSchemas(schema, after[name], at, report)
    }
  }
}

function compareRequired (older: SchemaNode, newer: SchemaNode, pointer: string, report: Report): void {
  const before = Array.isArray(older.required) ? older.required.map(String) : []
  const after = Array.isArray(newer.required) ? newer.required.map(String) : []
  const declared = isRecord(older.properties) ? older.properties : {}
  const at = appendPointer(pointer, 'required')
  for (const name of after) {
    if (before.includes(name)) continue
    const what = Object.hasOwn(declared, name) ? `optional property '${name}' was made required` : `new property '${name}' is required`
    report('made-required', at, what, `make '${name}' optional`, older.required, newer.required)
  }
  for (const name of before) {
    if (!after.includes(name)) report('no-longer-required', at, `'${name}' is no longer required`, `keep '${name}' required`, older.required, newer.required)
  }
}

function compareEnum (older: SchemaNode, newer: SchemaNode, pointer: string, report: Report): void {
  const at = appendPointer(pointer, 'enum')
  const before = older.enum
  const after = newer.enum
  if (before === undefined && after === undefined) return
  if (!Array.isArray(before)) {
    report('constraint-added', at, 'an enum now restricts the values', 'leave the enum out', before, after)
    return
  }
  if (!Array.isArray(after)) {
    report('constraint-removed', at, 'the enum was removed', 'keep the enum (adding values is fine)', before, after)
    return
  }
  for (const value of before) {
    if (!after.some((v) => deepEqual(v, value))) {
      report('enum-value-removed', at, `enum value ${JSON.stringify(value)} was removed`, `keep ${JSON.stringify(value)} in the enum`, before, after)
    }
  }
}

function compareAdditional (before: unknown, after: unknown, at: string, report: Report): void {
  const open = before === undefined || before === true
  if (after === false && before !== false) {
    report('additional-properties-closed', at, open ? 'additionalProperties: false added: properties that were accepted are now refused' : 'the map now accepts no values',
      `leave additionalProperties ${open ? 'out' : 'as it was'}`, before, after)
    return
  }
  if (before === false) {
    report('constraint-removed', at, 'additionalProperties: false was removed: the object is open now', 'keep additionalProperties: false', before, after)
    return
  }
  if (open) {
    report('constraint-added', at, 'additional properties are now constrained', 'leave additionalProperties out', before, after)
    return
  }
  if (after === undefined || after === true) {
    report('constraint-removed', at, 'the map value schema was removed', 'keep the map value schema', before, after)
    return
  }
  compareSchemas(before, after, at, report)
}

function compareSingle (key: string, before: unknown, after: unknown, at: string, report: Report): void {
  if (before === undefined) report('constraint-added', at, `${key} added`, `drop the new ${key}`, before, after)
  else if (after === undefined) report('constraint-removed', at, `${key} removed`, `keep ${key}`, before, after)
  else if (Array.isArray(before) || Array.isArray(after)) report('value-changed', at, `${key} changed`, `keep ${key} as it was`, before, after)
  else compareSchemas(before, after, at, report)
}

function compareMap (key: string, before: unknown, after: unknown, at: string, report: Report): void {
  if (!isRecord(before) || !isRecord(after)) {
    if (before === undefined) report('constraint-added', at, `${key} added`, `drop the new ${key}`, before, after)
    else report('constraint-removed', at, `${key} removed`, `keep ${key}`, before, after)
    return
  }
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const entryAt = appendPointer(at, name)
    if (!Object.hasOwn(after, name)) report('constraint-removed', entryAt, `${key} entry '${name}' removed`, `keep '${name}'`, before[name], undefined)
    else if (!Object.hasOwn(before, name)) report('constraint-added', entryAt, `${key} entry '${name}' added`, `drop '${name}'`, undefined, after[name])
    else if (Array.isArray(before[name]) || Array.isArray(after[name])) {
      if (!deepEqual(before[name], after[name])) report('value-changed', entryAt, `${key} entry '${name}' changed`, `keep '${name}' as it was`, before[name], after[name])
    } else compareSchemas(before[name], after[name], entryAt, report)
  }
}

function compareList (key: string, before: unknown, after: unknown, at: string, report: Report): void {
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((schema, i) => compareSchemas(schema, after[i], appendPointer(at, i), report))
    return
  }
  if (before === undefined) report('constraint-added', at, `${key} added`, `drop the new ${key}`, before, after)
  else report('value-changed', at, `${key} changed`, `keep ${key} as it was`, before, after)
}

function compareValue (key: string, before: unknown, after: unknown, at: string, report: Report): void {
  if (upperBounds.has(key) || lowerBounds.has(key)) {
    const upper = upperBounds.has(key)
    if (after === undefined) return
    if (before === undefined) {
      report('constraint-added', at, `${key}: ${JSON.stringify(after)} added`, `drop the new ${key}`, before, after)
      return
    }
    if (typeof before === 'number' && typeof after === 'number' && (upper ? after > before : after < before)) return
    report('constraint-narrowed', at, `${key} tightened from ${JSON.stringify(before)} to ${JSON.stringify(after)}`, `keep ${key}: ${JSON.stringify(before)}`, before, after)
    return
  }
  if (key === 'uniqueItems') {
    if (after === true) report('constraint-added', at, 'uniqueItems added', 'drop uniqueItems', before, after)
    else report('constraint-removed', at, 'uniqueItems removed', 'keep uniqueItems', before, after)
    return
  }
  if (before === undefined) {
    const change = key === 'default' ? 'value-changed' : 'constraint-added'
    report(change, at, `${key}: ${JSON.stringify(after)} added`, `drop the new ${key}`, before, after)
  } else if (after === undefined) {
    report(key === 'default' ? 'value-changed' : 'constraint-removed', at, `${key}: ${JSON.stringify(before)} removed`, `keep ${key}: ${JSON.stringify(before)}`, before, after)
  } else {
    report('value-changed', at, `${key} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`, `keep ${key}: ${JSON.stringify(before)}`, before, after)
  }
}
