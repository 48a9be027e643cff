import { isRecord } from './json-value.js'
import { typesOf, walkSchema } from './walk.js'
import type { SchemaNode } from './walk.js'

export type InsecureSchemaRule = 'pattern-without-maxLength' | 'format-without-maxLength' |
  'patternProperties-without-propertyNames-maxLength' | 'uniqueItems-without-maxItems'

/** One reason a schema is unsafe to validate untrusted events with. */
export interface InsecureSchemaProblem {
  /** JSON pointer of the subschema, `''` for the root. */
  pointer: string
  /** The keyword that needs its bound. */
  keyword: 'pattern' | 'format' | 'patternProperties' | 'uniqueItems'
  rule: InsecureSchemaRule
  message: string
}

/**
 * The rules of Ajv's secure meta-schema (`ajv/lib/refs/json-schema-secure.json`,
 * which EventGate checks every loaded schema against), applied as a walk instead
 * of a meta-schema validation. The meta-schema only descends through draft-07
 * keywords; the walk also covers `$defs`, `prefixItems`, `dependentSchemas` and
 * the other 2019-09/2020-12 applicators, and it reports every problem with a
 * JSON pointer instead of one meta-schema error path. The gateway refuses a
 * schema with any of them; `sluice schemas check` reports them all.
 *
 * - `pattern` or `format` need `maxLength` (slow regexes on long strings);
 * - `patternProperties` needs `propertyNames.maxLength` (the same, for keys);
 * - `uniqueItems: true` over object or array items needs `maxItems`
 *   (the uniqueness check is quadratic in deep comparisons).
 */
export function findInsecureSchemaProblems (schema: SchemaNode): InsecureSchemaProblem[] {
  const problems: InsecureSchemaProblem[] = []
  walkSchema(schema, (node, { pointer }) => {
    const hasMaxLength = node.maxLength !== undefined
    if (node.pattern !== undefined && !hasMaxLength) {
      problems.push({ pointer, keyword: 'pattern', rule: 'pattern-without-maxLength', message: '`pattern` needs `maxLength`' })
    }
    if (node.format !== undefined && !hasMaxLength) {
      problems.push({ pointer, keyword: 'format', rule: 'format-without-maxLength', message: '`format` needs `maxLength`' })
    }
    if (node.patternProperties !== undefined && !(isRecord(node.propertyNames) && node.propertyNames.maxLength !== undefined)) {
      problems.push({
        pointer,
        keyword: 'patternProperties',
        rule: 'patternProperties-without-propertyNames-maxLength',
        message: '`patternProperties` needs `propertyNames.maxLength`'
      })
    }
    if (node.uniqueItems === true && isRecord(node.items) && typesOf(node.items).some((t) => t === 'object' || t === 'array') &&
      node.maxItems === undefined) {
      problems.push({
        pointer,
        keyword: 'uniqueItems',
        rule: 'uniqueItems-without-maxItems',
        message: '`uniqueItems` over objects or arrays needs `maxItems`'
      })
    }
  })
  return problems
}
