import { walkSchema } from '../document/schema-walk.js'

/** How a repository wants its materialized files; read from its config file. */
export interface MaterializeConventions {
  /**
   * Remove `$id` and `$schema` from nested subschemas. Inlined fragments keep
   * theirs otherwise, and two copies of one `$id` make Ajv 8 refuse the schema.
   */
  stripNestedIds: boolean
  /** `[minimum, maximum]` given to every integer/number that lacks one; undefined to leave numbers alone. */
  numericBounds: readonly [number, number] | undefined
}

export const safeIntegerBounds: readonly [number, number] = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]

export const sluiceConventions: MaterializeConventions = { stripNestedIds: true, numericBounds: safeIntegerBounds }

/** Adds the repository's numeric bounds in place, keeping any bound the author set. */
export function enforceNumericBounds (schema: unknown, bounds: readonly [number, number]): void {
  walkSchema(schema, (node) => {
    if (node.type !== 'integer' && node.type !== 'number') return
    if (!Object.hasOwn(node, 'minimum')) node.minimum = bounds[0]
    if (!Object.hasOwn(node, 'maximum')) node.maximum = bounds[1]
  })
}

/** Removes `$id`/`$schema` from every subschema but the root, in place. */
export function stripNestedIds (schema: unknown): void {
  walkSchema(schema, (node, context) => {
    if (context.depth === 0) return
    delete node.$id
    delete node.$schema
  })
}
