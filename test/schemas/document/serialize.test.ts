import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSchemaText, sortSchemaKeys, toJson, toYaml } from '../../../src/schemas/document/serialize.js'
import { SchemaUnparsableError } from '../../../src/schemas/errors.js'
import { deepEqual } from '../../../src/schemas/document/json-value.js'

void test('keys come in jsonschema-tools order, then alphabetically, at every depth', () => {
  const sorted = sortSchemaKeys({ zeta: 1, properties: { b: { type: 'string', description: 'd' }, $schema: {} }, type: 'object', title: 't', $id: '/t/1.0.0', alpha: 2 })
  assert.deepEqual(Object.keys(sorted), ['title', '$id', 'type', 'properties', 'alpha', 'zeta'])
  assert.deepEqual(Object.keys(sorted.properties), ['$schema', 'b'])
  assert.deepEqual(Object.keys(sorted.properties.b), ['description', 'type'])
})

void test('YAML and JSON output are deterministic and parse to the same object', () => {
  const shared = { type: 'string' }
  const schema = { type: 'object', properties: { a: shared, b: shared }, title: 'x', examples: [{ dt: '2020-01-01T00:00:00Z' }] }
  const yaml = toYaml(schema)
  assert.equal(toYaml(structuredClone(schema)), yaml)
  assert.ok(!yaml.includes('&'), 'no YAML anchors for repeated subschemas')
  assert.ok(deepEqual(parseSchemaText(yaml, 'x.yaml'), parseSchemaText(toJson(schema), 'x.json')))
  // An unquoted date in an author's file stays a string.
  assert.equal((parseSchemaText('dt: 2020-01-01T00:00:00Z\n', 'x') as { dt: unknown }).dt, '2020-01-01T00:00:00Z')
})

void test('a file that is not a mapping, or has duplicate keys, is refused', () => {
  assert.throws(() => parseSchemaText('- a\n', 'list.yaml'), SchemaUnparsableError)
  assert.throws(() => parseSchemaText('a: 1\na: 2\n', 'dup.yaml'), SchemaUnparsableError)
  assert.throws(() => parseSchemaText('a: [\n', 'broken.yaml'), SchemaUnparsableError)
})

void test('deepEqual ignores key order but not array order', () => {
  assert.ok(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }))
  assert.ok(!deepEqual({ a: [1, 2] }, { a: [2, 1] }))
  assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }))
})
