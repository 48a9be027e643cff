import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkRobustness } from '../../../src/schemas/checks/robustness.js'
import { safeIntegerBounds } from '../../../src/schemas/repository/config.js'

const subject = { schema: '/t/1.0.0', title: 't', version: '1.0.0', file: 't/1.0.0.yaml' }
const options = { numericBounds: safeIntegerBounds }

function good (): Record<string, unknown> {
  return {
    title: 't',
    $id: '/t/1.0.0',
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['$schema', 'name'],
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', pattern: '^[a-z]+$', maxLength: 64 },
      count: { type: 'integer', minimum: 0, maximum: 10 },
      tags: { type: 'array', items: { type: 'string' } },
      labels: { type: 'object', additionalProperties: { type: 'string' } }
    },
    examples: [{ $schema: '/t/1.0.0', name: 'abc', count: 3 }]
  }
}

type Schema = Record<string, unknown>

/** The object at a path of keys, for editing a copy in place. */
function at (schema: Schema, ...path: string[]): Schema {
  let node: unknown = schema
  for (const key of path) node = (node as Schema)[key]
  return node as Schema
}

function rulesOf (schema: Record<string, unknown>): string[] {
  return checkRobustness(schema, subject, options).map((v) => `${v.rule} ${v.pointer}`)
}

void test('a well-formed schema passes every robustness rule', () => {
  assert.deepEqual(rulesOf(good()), [])
})

void test('each robustness rule catches its problem and names where', () => {
  const cases: Array<[string, (s: Schema) => void, string]> = [
    ['draft-07 meta-schema', (s) => { at(s, 'properties', 'name').minLength = -1 }, 'schema-is-valid /properties/name/minLength'],
    ['other meta-schema', (s) => { s.$schema = 'https://json-schema.org/draft/2020-12/schema' }, 'schema-is-valid /$schema'],
    ['pattern without maxLength', (s) => { delete at(s, 'properties', 'name').maxLength }, 'schema-is-secure /properties/name/pattern'],
    ['backtracking pattern', (s) => { at(s, 'properties', 'name').pattern = '^([a-z]+)+$' }, 'schema-is-secure /properties/name/pattern'],
    ['format without maxLength', (s) => { at(s, 'properties').when = { type: 'string', format: 'date-time' } }, 'schema-is-secure /properties/when/format'],
    ['pattern without maxLength under $defs', (s) => { s.$defs = { code: { type: 'string', pattern: '^[a-z]+$' } } }, 'schema-is-secure /$defs/code/pattern'],
    ['a keyword strict mode refuses', (s) => { at(s, 'properties', 'name').minimum = 0 }, 'schema-is-valid /properties/name'],
    ['camelCase', (s) => { at(s, 'properties').userName = { type: 'string' } }, 'schema-snake-case-properties /properties/userName'],
    ['union type', (s) => { at(s, 'properties', 'count').type = ['integer', 'null'] }, 'schema-deterministic-types /properties/count/type'],
    ['array without items type', (s) => { at(s, 'properties').tags = { type: 'array' } }, 'schema-deterministic-types /properties/tags'],
    ['bare object', (s) => { at(s, 'properties').labels = { type: 'object' } }, 'schema-deterministic-types /properties/labels'],
    ['null in enum', (s) => { at(s, 'properties').kind = { type: 'string', enum: ['a', null] } }, 'schema-deterministic-types /properties/kind/enum'],
    ['required but undeclared', (s) => { (s.required as string[]).push('ghost') }, 'schema-required-properties-exist /required/2'],
    ['example of the wrong type', (s) => { at(s, 'examples', '0').count = 'three' }, 'schema-examples-are-valid /examples/0'],
    ['example $schema mismatch', (s) => { at(s, 'examples', '0').$schema = '/t/0.9.0' }, 'schema-examples-$schema-matches-schema-$id /examples/0/$schema'],
    ['integer without bounds', (s) => { delete at(s, 'properties', 'count').maximum }, 'schema-enforced-numeric-bounds /properties/count'],
    ['bound beyond the repository bounds', (s) => { at(s, 'properties', 'count').maximum = 2 ** 60 }, 'schema-enforced-numeric-bounds /properties/count/maximum']
  ]
  for (const [name, mutate, expected] of cases) {
    const schema = good()
    mutate(schema)
    assert.ok(rulesOf(schema).includes(expected), `${name}: got ${JSON.stringify(rulesOf(schema))}`)
  }
})

void test('every violation says what would pass', () => {
  const schema = good()
  at(schema, 'properties').userName = { type: ['string', 'null'] }
  for (const v of checkRobustness(schema, subject, options)) {
    assert.ok(v.fix.length > 10, v.rule)
    assert.equal(v.schema, '/t/1.0.0')
  }
})

void test('a fragment inlined twice (duplicate nested $id) can still have its examples checked', () => {
  const slot = { $id: '/slot/1.0.0', $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', properties: { size: { type: 'integer', minimum: 0, maximum: 9 } } }
  const schema = good()
  at(schema, 'properties').slots = { type: 'object', properties: { main: slot }, additionalProperties: slot }
  at(schema, 'examples', '0').slots = { main: { size: 'big' } }
  assert.deepEqual(rulesOf(schema), ['schema-examples-are-valid /examples/0'])
})

void test('examples are not run against a pattern that can backtrack catastrophically', () => {
  const schema = good()
  at(schema, 'properties', 'name').pattern = '^(a+)+$'
  at(schema, 'properties', 'name').maxLength = 100
  at(schema, 'examples', '0').name = `${'a'.repeat(40)}!`
  const started = Date.now()
  assert.deepEqual(rulesOf(schema), ['schema-is-secure /properties/name/pattern'])
  assert.ok(Date.now() - started < 2000)
})
