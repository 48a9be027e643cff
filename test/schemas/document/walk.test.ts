import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stripNestedIds, walkSchema } from '../../../src/schemas/document/walk.js'
import { escapePointerToken } from '../../../src/schemas/document/json-pointer.js'
import { exceededJsonLimit } from '../../../src/schemas/document/json-value.js'

test('visits every subschema with its JSON pointer, and no data keywords', () => {
  const schema = {
    type: 'object',
    properties: {
      'a/b': { type: 'string' },
      list: { type: 'array', items: { type: 'object', additionalProperties: { type: 'integer' } } },
      tuple: { items: [{ type: 'string' }, true] }
    },
    allOf: [{ required: ['x'] }],
    definitions: { d: { not: { type: 'null' } } },
    dependencies: { x: ['y'], z: { required: ['w'] } },
    default: { properties: { fake: {} } },
    examples: [{ $schema: '/x/1.0.0', properties: {} }],
    enum: [{ type: 'string' }],
    const: { items: {} }
  }
  const seen: string[] = []
  walkSchema(schema, (_node, { pointer }) => seen.push(pointer))
  assert.deepEqual(seen.sort(), [
    '',
    '/allOf/0',
    '/definitions/d',
    '/definitions/d/not',
    '/dependencies/z',
    '/properties/a~1b',
    '/properties/list',
    '/properties/list/items',
    '/properties/list/items/additionalProperties',
    '/properties/tuple',
    '/properties/tuple/items/0'
  ])
})

test('walks the 2019-09 and 2020-12 applicators too, with the keyword and name that led to each node', () => {
  const schema = {
    $defs: { id: { type: 'string' } },
    prefixItems: [{ type: 'integer' }],
    dependentSchemas: { a: { required: ['b'] } },
    unevaluatedProperties: { type: 'string' }
  }
  const seen: string[] = []
  walkSchema(schema, (_node, { pointer, via, name, depth }) => seen.push(`${pointer} ${via ?? '-'} ${name ?? '-'} ${depth}`))
  assert.deepEqual(seen, [
    ' - - 0',
    '/$defs/id $defs id 1',
    '/dependentSchemas/a dependentSchemas a 1',
    '/unevaluatedProperties unevaluatedProperties - 1',
    '/prefixItems/0 prefixItems - 1'
  ])
})

test('nested identifiers go, the root keeps its own', () => {
  const schema = { $id: '/a/1.0.0', $schema: 'x', properties: { f: { $id: '/f/1.0.0', $schema: 'x', type: 'string' } }, $defs: { d: { id: 'old' } } }
  stripNestedIds(schema)
  assert.deepEqual(schema, { $id: '/a/1.0.0', $schema: 'x', properties: { f: { type: 'string' } }, $defs: { d: { id: 'old' } } })
  stripNestedIds(schema, 'id')
  assert.deepEqual(schema.$defs, { d: {} })
})

test('pointer tokens are escaped per RFC 6901', () => {
  assert.equal(escapePointerToken('a/b~c'), 'a~1b~0c')
})

test('the depth limit counts nested objects and arrays', () => {
  const limits = { maxDepth: 2, maxValues: 1000 }
  assert.equal(exceededJsonLimit('x', limits), undefined)
  assert.equal(exceededJsonLimit({ a: [1] }, limits), undefined)
  assert.equal(exceededJsonLimit({ a: [{}] }, limits), 'depth')
  let deep: unknown = {}
  for (let i = 0; i < 10000; i++) deep = { a: deep }
  assert.equal(exceededJsonLimit(deep, { maxDepth: 64, maxValues: 1e9 }), 'depth')
})

test('the value limit stops shared (aliased) subtrees from expanding', () => {
  let bomb: unknown[] = ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']
  for (let i = 0; i < 9; i++) bomb = Array.from({ length: 10 }, () => bomb)
  assert.equal(exceededJsonLimit(bomb, { maxDepth: 64, maxValues: 100000 }), 'values')
  assert.equal(exceededJsonLimit([1, 2, 3], { maxDepth: 64, maxValues: 4 }), undefined)
  assert.equal(exceededJsonLimit([1, 2, 3], { maxDepth: 64, maxValues: 3 }), 'values')
})
