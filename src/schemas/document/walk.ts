/**
 * Where subschemas live in a JSON Schema document. The union over drafts 04 to
 * 2020-12: a keyword a draft does not know is rejected by Ajv's strict mode
 * anyway, so walking it too is harmless. Data keywords (`default`, `examples`,
 * `const`, `enum`) are never walked, so an example event's `$schema` or `id`
 * field is never mistaken for a schema keyword.
 */
const singleSchemaKeywords = [
  'additionalItems', 'additionalProperties', 'contains', 'propertyNames', 'if', 'then', 'else', 'not',
  'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'
] as const
const schemaArrayKeywords = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const
const schemaMapKeywords = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'] as const

export type SchemaNode = Record<string, unknown>

export function isSchemaNode (value: unknown): value is SchemaNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** RFC 6901 escaping of one reference token. */
export function escapePointerToken (token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1')
}

/**
 * Calls `visit` for the root and every object subschema, depth first, with its
 * JSON pointer (`''` for the root). Boolean schemas are skipped: they cannot be
 * insecure and carry no keywords.
 */
export function forEachSubschema (root: SchemaNode, visit: (node: SchemaNode, pointer: string) => void): void {
  const walk = (node: SchemaNode, pointer: string): void => {
    visit(node, pointer)
    for (const keyword of singleSchemaKeywords) {
      const child = node[keyword]
      if (isSchemaNode(child)) walk(child, `${pointer}/${keyword}`)
    }
    // `items` is one schema, or (before 2020-12) a tuple of schemas.
    const items = node.items
    if (isSchemaNode(items)) walk(items, `${pointer}/items`)
    if (Array.isArray(items)) walkArray(items, `${pointer}/items`)
    for (const keyword of schemaArrayKeywords) {
      const children = node[keyword]
      if (Array.isArray(children)) walkArray(children, `${pointer}/${keyword}`)
    }
    for (const keyword of schemaMapKeywords) {
      const children = node[keyword]
      if (isSchemaNode(children)) walkMap(children, `${pointer}/${keyword}`)
    }
    // Draft-07 `dependencies` mixes property lists (arrays) and schemas.
    const dependencies = node.dependencies
    if (isSchemaNode(dependencies)) walkMap(dependencies, `${pointer}/dependencies`)
  }
  const walkArray = (children: unknown[], pointer: string): void => {
    children.forEach((child, index) => {
      if (isSchemaNode(child)) walk(child, `${pointer}/${index}`)
    })
  }
  const walkMap = (children: SchemaNode, pointer: string): void => {
    for (const [name, child] of Object.entries(children)) {
      if (isSchemaNode(child)) walk(child, `${pointer}/${escapePointerToken(name)}`)
    }
  }
  walk(root, '')
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
