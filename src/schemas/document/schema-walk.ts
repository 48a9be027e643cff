import { appendPointer, isRecord } from './json-pointer.js'

export type SchemaNode = Record<string, unknown>

export interface WalkContext {
  /** JSON pointer of the node inside the walked schema. */
  pointer: string
  /** The keyword that led here (`properties`, `items`, …); undefined for the root. */
  via: string | undefined
  /** The property name when `via` is `properties`, `patternProperties` or `definitions`. */
  name: string | undefined
  depth: number
}

const singleSchemaKeywords = ['additionalItems', 'additionalProperties', 'contains', 'else', 'if', 'not', 'propertyNames', 'then'] as const
const schemaListKeywords = ['allOf', 'anyOf', 'oneOf'] as const
const schemaMapKeywords = ['properties', 'patternProperties', 'definitions'] as const

/**
 * Visits every subschema in a schema position (never the data inside `examples`,
 * `default`, `enum` or `const`), parents before children.
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
  const items = node.items
  if (Array.isArray(items)) items.forEach((value, i) => child(value, 'items', undefined, 'items', i))
  else child(items, 'items', undefined, 'items')
  for (const keyword of schemaListKeywords) {
    const list = node[keyword]
    if (Array.isArray(list)) list.forEach((value, i) => child(value, keyword, undefined, keyword, i))
  }
  const dependencies = node.dependencies
  if (isRecord(dependencies)) {
    for (const [name, value] of Object.entries(dependencies)) {
      if (isRecord(value)) child(value, 'dependencies', name, 'dependencies', name)
    }
  }
}

/** The `type` keyword as a list (empty when absent). */
export function typesOf (node: SchemaNode): string[] {
  const type = node.type
  if (typeof type === 'string') return [type]
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string')
  return []
}
