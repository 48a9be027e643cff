import { isRecord } from '../document/json-value.js'
import { sortSchemaKeys } from '../document/serialize.js'
import { stripNestedIds, walkSchema } from '../document/walk.js'
import { SchemaUnparsableError } from '../errors.js'
import type { MaterializeConventions } from '../repository/config.js'
import { dereference } from './dereference.js'
import type { ReferenceLoader } from './dereference.js'
import { mergeAllOf } from './merge-all-of.js'

export interface MaterializeOptions {
  load: ReferenceLoader
  conventions: MaterializeConventions
}

/**
 * Turns an author's `current.yaml` into the published form: every `$ref`
 * inlined, every `allOf` merged, the repository's conventions applied, keys in
 * canonical order. The result has no `$ref` and no `allOf`, so consumers never
 * need to resolve anything. Pure apart from `load`; the same input always gives
 * the same output.
 */
export async function materializeSchema (source: Record<string, unknown>, options: MaterializeOptions): Promise<Record<string, unknown>> {
  const dereferenced = await dereference(source, options.load)
  const merged = mergeAllOf(dereferenced)
  if (!isRecord(merged)) throw new SchemaUnparsableError(String(source.$id ?? 'schema'), 'the merged schema is not an object')
  // An included fragment's examples describe the fragment, not this schema.
  if (!Object.hasOwn(source, 'examples')) delete merged.examples
  if (options.conventions.numericBounds !== undefined) enforceNumericBounds(merged, options.conventions.numericBounds)
  if (options.conventions.stripNestedIds) stripNestedIds(merged)
  return sortSchemaKeys(merged)
}

/** Adds the repository's numeric bounds in place, keeping any bound the author set. */
function enforceNumericBounds (schema: unknown, bounds: readonly [number, number]): void {
  walkSchema(schema, (node) => {
    if (node.type !== 'integer' && node.type !== 'number') return
    if (!Object.hasOwn(node, 'minimum')) node.minimum = bounds[0]
    if (!Object.hasOwn(node, 'maximum')) node.maximum = bounds[1]
  })
}
