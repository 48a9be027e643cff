import { draftOf } from '../document/ajv.js'
import type { Draft } from '../document/ajv.js'
import { exceededJsonLimit, isRecord } from '../document/json-value.js'
import { findInsecureSchemaProblems } from '../document/secure.js'
import { parseYamlText } from '../document/serialize.js'
import type { SchemaNode } from '../document/walk.js'
import { SchemaInsecureError, SchemaInvalidError, SchemaTooLargeError } from './errors.js'

export interface SchemaDocument {
  document: SchemaNode
  draft: Draft
}

export interface DocumentLimits {
  maxSchemaBytes: number
  /** Deepest object/array nesting accepted. */
  maxDepth: number
}

/**
 * A schema document's text as a document Ajv may compile: YAML or JSON within the limits
 * (size, nesting, alias expansion), an object of a supported draft, and nothing insecure.
 * Each refusal is a SchemaLoadError subclass naming the cause.
 */
export function parseSchemaDocument (uri: string, text: string, limits: DocumentLimits): SchemaDocument {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limits.maxSchemaBytes) {
    throw new SchemaTooLargeError(uri, `the schema document is larger than ${limits.maxSchemaBytes} bytes`, { limit: limits.maxSchemaBytes })
  }
  const parsed = parseYamlText(text)
  if (!parsed.ok) {
    throw new SchemaInvalidError(uri, `the schema document is not valid YAML or JSON: ${parsed.reason}`, { cause: parsed.cause })
  }
  const document = parsed.value
  if (!isRecord(document)) throw new SchemaInvalidError(uri, 'the schema document is not a JSON Schema object')
  const exceeded = exceededJsonLimit(document, { maxDepth: limits.maxDepth, maxValues: bytes })
  if (exceeded === 'depth') {
    throw new SchemaTooLargeError(uri, `the schema document is nested deeper than ${limits.maxDepth} levels`, { limit: limits.maxDepth })
  }
  if (exceeded === 'values') {
    throw new SchemaTooLargeError(uri, 'the schema document expands (through YAML aliases) to more values than it has bytes', { limit: bytes })
  }
  const draft = draftOf(document)
  if (draft === undefined) {
    throw new SchemaInvalidError(uri, `unsupported meta-schema ${JSON.stringify(document.$schema)}`, { pointer: '/$schema' })
  }
  const problems = findInsecureSchemaProblems(document)
  const first = problems[0]
  if (first !== undefined) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
    throw new SchemaInsecureError(uri, `insecure schema: ${first.message} at '${first.pointer}'${more}`, { pointer: first.pointer })
  }
  return { document, draft }
}
