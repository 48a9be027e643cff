import yaml from 'js-yaml'
import { SchemaUnparsableError } from '../errors.js'
import { isRecord } from './json-value.js'

/**
 * Keys that lead every object of a materialized schema, in this order; all other
 * keys follow alphabetically. Same order as Wikimedia's jsonschema-tools, so a
 * repository materialized by either tool diffs cleanly.
 */
const leadingKeys = ['title', 'description', '$id', '$schema', 'type', 'additionalProperties', 'required', 'properties', 'allOf', 'examples']

function compareSchemaKeys (a: string, b: string): number {
  const ia = leadingKeys.indexOf(a)
  const ib = leadingKeys.indexOf(b)
  if (ia !== -1 || ib !== -1) {
    if (ia === -1) return 1
    if (ib === -1) return -1
    return ia - ib
  }
  return a < b ? -1 : a > b ? 1 : 0
}

/** A deep copy with every object's keys in schema order; arrays keep their order. */
export function sortSchemaKeys<T> (value: T): T {
  if (Array.isArray(value)) return value.map((item) => sortSchemaKeys(item)) as T
  if (!isRecord(value)) return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort(compareSchemaKeys)) sorted[key] = sortSchemaKeys(value[key])
  return sorted as T
}

/** Deterministic YAML: sorted keys, no anchors (inlined fragments repeat), no line-width surprises. */
export function toYaml (schema: unknown): string {
  return yaml.dump(sortSchemaKeys(schema), { noRefs: true, lineWidth: 80, quotingType: "'" })
}

export function toJson (schema: unknown): string {
  return JSON.stringify(sortSchemaKeys(schema), null, 2) + '\n'
}

export type ParsedText = { ok: true, value: unknown } | { ok: false, reason: string, cause: unknown }

/**
 * The one YAML/JSON parse of everything the package reads: schema files,
 * drafts, the repository config. The core schema keeps a document plain JSON
 * data: unquoted dates stay strings, never Date objects. The reason of a
 * failure is one line, with the line number where the parser stopped.
 */
export function parseYamlText (text: string): ParsedText {
  try {
    return { ok: true, value: yaml.load(text, { schema: yaml.CORE_SCHEMA }) }
  } catch (err) {
    const reason = err instanceof yaml.YAMLException ? `${err.reason} (line ${err.mark.line + 1})` : 'cannot be parsed'
    return { ok: false, reason, cause: err }
  }
}

/** Parses a YAML or JSON schema document; it must be a mapping. */
export function parseSchemaText (text: string, file: string): Record<string, unknown> {
  const parsed = parseYamlText(text)
  if (!parsed.ok) throw new SchemaUnparsableError(file, `not valid YAML or JSON: ${parsed.reason}`, parsed.cause)
  if (!isRecord(parsed.value)) throw new SchemaUnparsableError(file, 'the document is not a mapping')
  return parsed.value
}
