import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkCompatibility } from '../../../src/schemas/checks/compatibility.js'
import type { CompatibilityChange } from '../../../src/schemas/checks/violation.js'

const subject = { schema: '/t/1.1.0', title: 't', version: '1.1.0', file: 't/1.1.0.yaml' }
const context = { subject, olderVersion: '1.0.0', newerVersion: '1.1.0' }

function older (): Record<string, unknown> {
  return {
    title: 't',
    $id: '/t/1.0.0',
    type: 'object',
    required: ['id', 'kind'],
    properties: {
      id: { type: 'integer', minimum: 0, maximum: 100 },
      kind: { type: 'string', enum: ['a', 'b'] },
      name: { type: 'string', maxLength: 100 },
      description: { type: 'string' },
      meta: { type: 'object', properties: { stream: { type: 'string' } } },
      tags: { type: 'object', additionalProperties: { type: 'string' } }
    },
    examples: [{ id: 1, kind: 'a' }]
  }
}

type Schema = Record<string, unknown>
type Edit = (schema: Schema) => void

/** The object at a path of keys, for editing a copy in place. */
function at (schema: Schema, ...path: string[]): Schema {
  let node: unknown = schema
  for (const key of path) node = (node as Schema)[key]
  return node as Schema
}

function list (schema: Schema, ...path: string[]): unknown[] {
  const [last, ...rest] = [...path].reverse()
  return at(schema, ...rest.reverse())[last as string] as unknown[]
}

function changes (edit: Edit): Array<[CompatibilityChange | undefined, string]> {
  const newer = older()
  newer.$id = '/t/1.1.0'
  edit(newer)
  return checkCompatibility(older(), newer, context).map((v) => [v.change, v.pointer])
}

void test('adding optional properties or enum values, and editing docs, is compatible', () => {
  assert.deepEqual(changes((s) => {
    at(s, 'properties').extra = { type: 'string', description: 'new' }
    list(s, 'properties', 'kind', 'enum').push('c')
    at(s, 'properties', 'id').description = 'documented now'
    s.description = 'changed'
    s.examples = [{ id: 2, kind: 'c' }]
    s.required = ['kind', 'id']
    at(s, 'properties', 'name').maxLength = 200
  }), [])
})

void test('each breaking change is reported with what changed and where', () => {
  const cases: Array<[string, Edit, CompatibilityChange, string]> = [
    ['remove a property', (s) => { delete at(s, 'properties').name }, 'property-removed', '/properties/name'],
    ['retype a property', (s) => { at(s, 'properties', 'id').type = 'string' }, 'type-changed', '/properties/id/type'],
    ['make a union', (s) => { at(s, 'properties', 'id').type = ['integer', 'string'] }, 'type-changed', '/properties/id/type'],
    ['make optional required', (s) => { list(s, 'required').push('name') }, 'made-required', '/required'],
    ['add a required property', (s) => { at(s, 'properties').x = { type: 'string' }; list(s, 'required').push('x') }, 'made-required', '/required'],
    ['stop requiring', (s) => { s.required = ['id'] }, 'no-longer-required', '/required'],
    ['remove an enum value', (s) => { at(s, 'properties', 'kind').enum = ['a'] }, 'enum-value-removed', '/properties/kind/enum'],
    ['tighten maxLength', (s) => { at(s, 'properties', 'name').maxLength = 10 }, 'constraint-narrowed', '/properties/name/maxLength'],
    ['tighten minimum', (s) => { at(s, 'properties', 'id').minimum = 1 }, 'constraint-narrowed', '/properties/id/minimum'],
    ['change format', (s) => { at(s, 'properties', 'name').format = 'uri' }, 'constraint-added', '/properties/name/format'],
    ['change a default', (s) => { at(s, 'properties', 'name').default = 'x' }, 'value-changed', '/properties/name/default'],
    ['change a map value type', (s) => { at(s, 'properties', 'tags', 'additionalProperties').type = 'integer' }, 'type-changed', '/properties/tags/additionalProperties/type'],
    // What jsonschema-tools lets through:
    ['add maxLength', (s) => { at(s, 'properties', 'description').maxLength = 10 }, 'constraint-added', '/properties/description/maxLength'],
    ['add pattern', (s) => { at(s, 'properties', 'meta', 'properties', 'stream').pattern = '^a' }, 'constraint-added', '/properties/meta/properties/stream/pattern'],
    ['close the object', (s) => { s.additionalProperties = false }, 'additional-properties-closed', '/additionalProperties'],
    ['add a required list', (s) => { at(s, 'properties', 'meta').required = ['stream'] }, 'made-required', '/properties/meta/required'],
    ['retype a property named description', (s) => { at(s, 'properties', 'description').type = 'integer' }, 'type-changed', '/properties/description/type']
  ]
  for (const [name, edit, change, pointer] of cases) {
    const found = changes(edit)
    assert.ok(found.some(([c, p]) => c === change && p === pointer), `${name}: got ${JSON.stringify(found)}`)
  }
})

void test('the explanation names the versions and what would pass', () => {
  const newer = older()
  at(newer, 'properties', 'id').type = 'string'
  const [v] = checkCompatibility(older(), newer, context)
  assert.ok(v !== undefined)
  assert.equal(v.rule, 'schema-version-compatibility')
  assert.match(v.message, /type changed from integer to string \(compared with 1\.0\.0\)/)
  assert.match(v.fix, /or publish as 2\.0\.0$/)
  assert.equal(v.before, 'integer')
  assert.equal(v.after, 'string')
})
