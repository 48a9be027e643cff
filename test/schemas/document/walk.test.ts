import { test } from 'node:test'
import assert from 'node:assert/strict'
import { escapePointerToken, exceededJsonLimit, forEachSubschema } from '../../../src/schemas/document/walk.js'

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
  forEachSubschema(schema, (_node, pointer) => seen.push(pointer))
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
