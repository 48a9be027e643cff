import { appendPointer } from './json-pointer.js'
import { isRecord } from './json-value.js'

export type SchemaNode = Record<string, unknown>

export interface WalkContext {
  /** JSON pointer of the node inside the walked schema, `''` for the root. */
  pointer: string
  /** The keyword that led here (`properties`, `items`, …); undefined for the root. */
  via: string | undefined
  /** The property or definition name when `via` names a map of schemas (`properties`, `$defs`, …). */
  name: string | undefined
  depth: number
}

/**
 * Where subschemas live in a JSON Schema document: the union over drafts 04 to
 * 2020-12. A keyword a draft does not know is refused by Ajv's strict mode
 * anyway, so walking it too is harmless.
 */
const schemaMapKeywords = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'] as const
const singleSchemaKeywords = [
  'additionalItems', 'additionalProperties', 'contains', 'else', 'if', 'not', 'propertyNames', 'then',
  'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'
] as const
const schemaListKeywords = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const

/**
 * Visits the root and every object subschema, parents before children. Data
 * keywords (`default`, `examples`, `const`, `enum`) are never entered, so an
 * example event's `$schema` or `id` field is never mistaken for a schema
 * keyword. Boolean schemas are skipped: they carry no keywords.
 */
export function walkSchema (schema: unknown, visit: (node: SchemaNode, context: WalkContext) => void): void {
  walk(schema, { pointer: '', via: undefined, name: undefined, depth: 0 }, visit)
}

function walk (node: unknown, context: WalkContext, visit: (node: SchemaNode, context: WalkContext) => void): void {
  if (!isRecord(node)) return
  visit(node, context)
  const child = (value: unknown, via: string, name: string | undefined, ...tokens: Array<string | number>): void =>
    walk(value, { pointer: appendPointer(context.pointer, ...tokens), via, name, depth: context.depth + 1 }, visit)
  for (const keyword of schemaMapKeywords) {
    const map = node[keyword]
    if (!isRecord(map)) continue
    for (const [name, value] of Object.entries(map)) child(value, keyword, name, keyword, name)
  }
  for (const keyword of singleSchemaKeywords) child(node[keyword], keyword, undefined, keyword)
  // `items` is one schema, or (before 2020-12) a tuple of schemas.
  const items = node.items
  if (Array.isArray(items)) items.forEach((value, i) => child(value, 'items', undefined, 'items', i))
  else child(items, 'items', undefined, 'items')
  for (const keyword of schemaListKeywords) {
    const list = node[keyword]
    if (Array.isArray(list)) list.forEach((value, i) => child(value, keyword, undefined, keyword, i))
  }
  // Draft-07 `dependencies` mixes property lists (arrays) and schemas.
  const dependencies = node.dependencies
  if (isRecord(dependencies)) {
    for (const [name, value] of Object.entries(dependencies)) child(value, 'dependencies', name, 'dependencies', name)
  }
}

/** The `type` keyword as a list (empty when absent). */
export function typesOf (node: SchemaNode): string[] {
  const type = node.type
  if (typeof type === 'string') return [type]
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string')
  return []
}

/**
 * Removes `$id` (`id` in draft-04) and `$schema` from every subschema but the
 * root, in place. Materialized schemas inline fragments verbatim, each keeping
 * its own identifiers, and the same fragment may be inlined twice; Ajv 8
 * refuses a document where one `$id` names two subschemas. Materialized files
 * contain no `$ref`, so the nested identifiers change nothing for validation.
 */
export function stripNestedIds (schema: unknown, idKeyword: '$id' | 'id' = '$id'): void {
  walkSchema(schema, (node, context) => {
    if (context.depth === 0) return
    delete node[idKeyword]
    delete node.$schema
  })
}
