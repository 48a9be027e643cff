import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeAllOf } from '../../../src/schemas/publishing/merge-all-of.js'
import { MergeConflictError } from '../../../src/schemas/errors.js'

void test('allOf branches merge into one schema; the including schema wins title and description', () => {
  const merged = mergeAllOf({
    title: 'outer',
    description: 'outer description',
    required: ['z', 'a'],
    properties: { a: { type: 'string' } },
    allOf: [
      { title: 'inner', description: 'inner', additionalProperties: false, required: ['m'], properties: { m: { type: 'object', properties: { x: { type: 'integer', minimum: 0 } } } } },
      { properties: { m: { properties: { y: { type: 'string' } } } }, examples: [{ ignored: true }] }
    ]
  }) as Record<string, unknown>
  assert.equal(merged.title, 'outer')
  assert.equal(merged.description, 'outer description')
  assert.equal(merged.additionalProperties, false)
  assert.deepEqual(merged.required, ['a', 'm', 'z'])
  assert.equal(merged.allOf, undefined)
  assert.deepEqual((merged.properties as Record<string, unknown>).m, { type: 'object', properties: { x: { type: 'integer', minimum: 0 }, y: { type: 'string' } } })
})

void test('a required list that is not merged keeps its order', () => {
  const merged = mergeAllOf({ properties: { o: { required: ['b', 'a'], properties: { a: {}, b: {} } } } }) as { properties: { o: { required: string[] } } }
  assert.deepEqual(merged.properties.o.required, ['b', 'a'])
})

void test('bounds take the tighter value; enum and type the intersection', () => {
  const merged = mergeAllOf({ allOf: [{ maxLength: 10, minimum: 1, enum: ['a', 'b', 'c'] }, { maxLength: 5, minimum: 3, enum: ['b', 'c', 'd'] }] })
  assert.deepEqual(merged, { maxLength: 5, minimum: 3, enum: ['b', 'c'] })
})

void test('nested allOf inside properties is merged too', () => {
  const merged = mergeAllOf({ properties: { p: { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }], properties: { b: { type: 'string' } }, required: ['a'] } } })
  assert.deepEqual(merged, { properties: { p: { required: ['a'], properties: { b: { type: 'string' }, a: { type: 'string' } }, type: 'object' } } })
})

void test('values that cannot be combined are a conflict with the place and keyword', () => {
  assert.throws(() => mergeAllOf({ properties: { p: { allOf: [{ type: 'string', format: 'date-time' }, { format: 'uri' }] } } }),
    (err: unknown) => err instanceof MergeConflictError && err.pointer === '/properties/p/format' && err.keyword === 'format')
  assert.throws(() => mergeAllOf({ allOf: [{ type: 'string' }, { type: 'integer' }] }), MergeConflictError)
})
