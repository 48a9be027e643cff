import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { SluiceError } from '../../../src/errors.js'
import * as errors from '../../../src/schemas/lookup/errors.js'
import { SchemaInsecureError, SchemaLoadError, SchemaNotFoundError, SchemaFetchError } from '../../../src/schemas/lookup/errors.js'

const docs = readFileSync(new URL('../../../docs/schema-lookup.md', import.meta.url), 'utf8')

type ErrorClass = new (uri: string, detail: string) => SchemaLoadError

/** Every concrete error class the module exports, so a new one cannot skip the docs. */
function errorClasses (): ErrorClass[] {
  return Object.values(errors as Record<string, unknown>).filter((value): value is ErrorClass =>
    typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof SchemaLoadError)
}

test('every schema error code is documented with its HTTP status', () => {
  const classes = errorClasses()
  assert.equal(classes.length, 7)
  for (const Kind of classes) {
    const err = new Kind('/x/1.0.0', 'detail')
    assert.ok(err instanceof SluiceError)
    assert.match(err.code, /^SLUICE_ERR_SCHEMA_[A-Z_]+$/)
    const row = new RegExp(`^\\| \`${err.code}\` \\| ${err.statusCode} \\| ${err.retriable ? 'yes' : 'no'} \\|`, 'm')
    assert.match(docs, row, `${err.code} is not in the error table of docs/schema-lookup.md`)
  }
})

test('messages keep EventGate\'s prefix and the fields carry the details', () => {
  const err = new SchemaInsecureError('/x/1.0.0', 'insecure schema: bad', { pointer: '/properties/a', tried: ['file:///srv/x/1.0.0'] })
  assert.equal(err.message, 'Failed loading schema at /x/1.0.0: insecure schema: bad')
  assert.equal(err.name, 'SchemaInsecureError')
  assert.equal(err.pointer, '/properties/a')
  assert.deepEqual(err.tried, ['file:///srv/x/1.0.0'])
  assert.equal(err.statusCode, 500)
  assert.equal(new SchemaNotFoundError('/x/1.0.0').message, 'Failed loading schema at /x/1.0.0: no configured schema repository has it')
})

test('inSchema reports a $ref failure against the schema that referenced it', () => {
  const ref = new SchemaNotFoundError('/fragment/a/1.0.0', undefined, { tried: ['t'] })
  const outer = ref.inSchema('/event/1.0.0')
  assert.ok(outer instanceof SchemaNotFoundError)
  assert.equal(outer.uri, '/event/1.0.0')
  assert.equal(outer.refUri, '/fragment/a/1.0.0')
  assert.equal(outer.cause, ref)
  assert.deepEqual(outer.tried, ['t'])
  assert.equal(outer.message, 'Failed loading schema at /event/1.0.0: $ref /fragment/a/1.0.0: no configured schema repository has it')
  assert.equal(ref.inSchema('/fragment/a/1.0.0'), ref)
  // A deeper chain names the innermost $ref, reported against the outermost schema.
  assert.equal(outer.inSchema('/outer/1.0.0').refUri, '/fragment/a/1.0.0')
})

test('forUri renames a source\'s error without making it a $ref failure', () => {
  const fromSource = new SchemaFetchError('x/1.0.0.yaml', 'the schema repository answered HTTP 503')
  const renamed = fromSource.forUri('/x/1.0.0')
  assert.ok(renamed instanceof SchemaFetchError)
  assert.equal(renamed.retriable, true)
  assert.equal(renamed.refUri, undefined)
  assert.equal(renamed.message, 'Failed loading schema at /x/1.0.0: the schema repository answered HTTP 503')
})
