import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import yaml from 'js-yaml'
import secureMetaSchema from 'ajv/lib/refs/json-schema-secure.json' with { type: 'json' }
import { findInsecureSchemaProblems } from '../../../src/schemas/document/secure.js'
import type { SchemaNode } from '../../../src/schemas/document/walk.js'
import { realSchemasDir } from '../lookup/support.js'

const insecure: Array<[string, SchemaNode, string, string]> = [
  ['pattern without maxLength', { type: 'string', pattern: '^(a+)+$' }, '', 'pattern-without-maxLength'],
  ['format without maxLength', { type: 'object', properties: { dt: { type: 'string', format: 'date-time' } } }, '/properties/dt', 'format-without-maxLength'],
  ['patternProperties without propertyNames', { type: 'object', patternProperties: { '^x-': { type: 'string' } } }, '', 'patternProperties-without-propertyNames-maxLength'],
  ['patternProperties with propertyNames but no maxLength', { type: 'object', propertyNames: { minLength: 1 }, patternProperties: { '^x-': {} } }, '', 'patternProperties-without-propertyNames-maxLength'],
  ['uniqueItems over objects without maxItems', { type: 'array', uniqueItems: true, items: { type: 'object' } }, '', 'uniqueItems-without-maxItems'],
  ['uniqueItems over a union with arrays', { type: 'array', uniqueItems: true, items: { type: ['string', 'array'] } }, '', 'uniqueItems-without-maxItems'],
  ['deep inside allOf/items/additionalProperties', { allOf: [{ type: 'array', items: { type: 'object', additionalProperties: { type: 'string', pattern: 'x' } } }] }, '/allOf/0/items/additionalProperties', 'pattern-without-maxLength'],
  ['inside definitions', { definitions: { 'a/b': { type: 'string', format: 'uri' } } }, '/definitions/a~1b', 'format-without-maxLength'],
  ['inside propertyNames', { type: 'object', propertyNames: { pattern: '^[a-z]+$' } }, '/propertyNames', 'pattern-without-maxLength'],
  ['inside if/then/else and not', { if: { type: 'string' }, then: { not: { type: 'string', pattern: 'x' } } }, '/then/not', 'pattern-without-maxLength'],
  ['inside dependencies', { dependencies: { a: { properties: { b: { type: 'string', pattern: 'x' } } } } }, '/dependencies/a/properties/b', 'pattern-without-maxLength']
]

const secure: Array<[string, SchemaNode]> = [
  ['pattern with maxLength', { type: 'string', pattern: '^a+$', maxLength: 10 }],
  ['format with maxLength', { type: 'string', format: 'date-time', maxLength: 128 }],
  ['patternProperties with propertyNames.maxLength', { type: 'object', propertyNames: { maxLength: 64 }, patternProperties: { '^x-': {} } }],
  ['uniqueItems over strings', { type: 'array', uniqueItems: true, items: { type: 'string' } }],
  ['uniqueItems over objects with maxItems', { type: 'array', uniqueItems: true, maxItems: 10, items: { type: 'object' } }],
  ['pattern only inside examples and defaults (data, not schemas)', { type: 'object', default: { pattern: 'x' }, examples: [{ format: 'uri', pattern: 'x' }] }],
  ['a property literally named pattern', { type: 'object', properties: { pattern: { type: 'string', maxLength: 5 } } }]
]

for (const [name, schema, pointer, rule] of insecure) {
  test(`insecure: ${name}`, () => {
    const problems = findInsecureSchemaProblems(schema)
    assert.equal(problems.length, 1, JSON.stringify(problems))
    assert.equal(problems[0]?.pointer, pointer)
    assert.equal(problems[0]?.rule, rule)
  })
}

for (const [name, schema] of secure) {
  test(`secure: ${name}`, () => {
    assert.deepEqual(findInsecureSchemaProblems(schema), [])
  })
}

test('the walk also reaches 2019-09/2020-12 applicators the draft-07 meta-schema does not', () => {
  const schema = {
    $defs: { a: { type: 'string', pattern: 'x' } },
    prefixItems: [{ type: 'string', format: 'uri' }],
    dependentSchemas: { b: { patternProperties: { y: {} } } },
    unevaluatedProperties: { type: 'string', pattern: 'z' }
  }
  assert.deepEqual(findInsecureSchemaProblems(schema).map((p) => p.pointer).sort(), [
    '/$defs/a', '/dependentSchemas/b', '/prefixItems/0', '/unevaluatedProperties'
  ])
})

test('every problem is reported, not only the first', () => {
  const problems = findInsecureSchemaProblems({ type: 'object', properties: { a: { pattern: 'x' }, b: { format: 'uri' } } })
  assert.deepEqual(problems.map((p) => p.pointer), ['/properties/a', '/properties/b'])
})

function listSchemaFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return listSchemaFiles(path)
    return /^\d+\.\d+\.\d+\.(yaml|json)$/.test(name) ? [path] : []
  })
}

test('agrees with Ajv\'s json-schema-secure meta-schema on draft-07 schemas (real and crafted)', () => {
  const ajv = new Ajv({ strict: false })
  const isSecure = ajv.compile(secureMetaSchema)
  const realFiles = listSchemaFiles(realSchemasDir)
  assert.ok(realFiles.length >= 60, `expected the real schema fixtures, found ${realFiles.length}`)
  const cases: Array<[string, SchemaNode]> = [
    ...realFiles.map((file): [string, SchemaNode] => [file, yaml.load(readFileSync(file, 'utf8')) as SchemaNode]),
    ...insecure.map(([name, schema]): [string, SchemaNode] => [name, schema]),
    ...secure.map(([name, schema]): [string, SchemaNode] => [name, schema])
  ]
  for (const [name, schema] of cases) {
    assert.equal(findInsecureSchemaProblems(schema).length === 0, isSecure(schema), name)
  }
})
