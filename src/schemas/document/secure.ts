import { forEachSubschema } from './walk.js'
import type { SchemaNode } from './walk.js'

/** One reason a schema is unsafe to validate untrusted events with. */
export interface InsecureSchemaProblem {
  /** JSON pointer of the subschema, `''` for the root. */
  pointer: string
  rule: 'pattern-without-maxLength' | 'format-without-maxLength' | 'patternProperties-without-propertyNames-maxLength' |
    'uniqueItems-without-maxItems'
  message: string
}

/**
 * The rules of Ajv's secure meta-schema (`ajv/lib/refs/json-schema-secure.json`,
 * which EventGate checks every loaded schema against), applied as a walk instead
 * of a meta-schema validation. The meta-schema only descends through draft-07
 * keywords; the walk also covers `$defs`, `prefixItems`, `dependentSchemas` and
 * the other 2019-09/2020-12 applicators, and it reports every problem with a
 * JSON pointer instead of one meta-schema error path.
 *
 * - `pattern` or `format` need `maxLength` (slow regexes on long strings);
 * - `patternProperties` needs `propertyNames.maxLength` (the same, for keys);
 * - `uniqueItems: true` over object or array items needs `maxItems`
 *   (the uniqueness check is quadratic in deep comparisons).
 */
export function findInsecureSchemaProblems (schema: SchemaNode): InsecureSchemaProblem[] {
  const problems: InsecureSchemaProblem[] = []
  forEachSubschema(schema, (node, pointer) => {
    const hasMaxLength = node.maxLength !== undefined
    if (node.pattern !== undefined && !hasMaxLength) {
      problems.push({ pointer, rule: 'pattern-without-maxLength', message: '`pattern` needs `maxLength`' })
    }
    if (node.format !== undefined && !hasMaxLength) {
      problems.push({ pointer, rule: 'format-without-maxLength', message: '`format` needs `maxLength`' })
    }
    if (node.patternProperties !== undefined && !hasPropertyNamesMaxLength(node)) {
      problems.push({
        pointer,
        rule: 'patternProperties-without-propertyNames-maxLength',
        message: '`patternProperties` needs `propertyNames.maxLength`'
      })
    }
    if (node.uniqueItems === true && itemsAreStructured(node.items) && node.maxItems === undefined) {
      problems.push({
        pointer,
        rule: 'uniqueItems-without-maxItems',
        message: '`uniqueItems` over objects or arrays needs `maxItems`'
      })
    }
  })
  return problems
}

function hasPropertyNamesMaxLength (node: SchemaNode): boolean {
  const names = node.propertyNames
  return names !== null && typeof names === 'object' && !Array.isArray(names) && (names as SchemaNode).maxLength !== undefined
}

function itemsAreStructured (items: unknown): boolean {
  if (items === null || typeof items !== 'object' || Array.isArray(items)) return false
  const type = (items as SchemaNode).type
  const structured = (value: unknown): boolean => value === 'object' || value === 'array'
  return Array.isArray(type) ? type.some(structured) : structured(type)
}
