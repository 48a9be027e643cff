import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogBounds } from '../src/log-bounds.js'

test('long strings are cut at the limit and marked', () => {
  const bounds = createLogBounds(100)
  const out = bounds.value({ uri: 'x'.repeat(5000) }) as { uri: string }
  assert.equal(out.uri, `${'x'.repeat(100)}…[4900 more characters]`)
  assert.equal(bounds.text('short'), 'short')
})

test('all strings of one object together stop at eight times the limit', () => {
  const bounds = createLogBounds(100)
  const out = bounds.object({ many: Array.from({ length: 40 }, () => 'y'.repeat(100)) }) as { many: string[] }
  const kept = out.many.reduce((sum, s) => sum + (s.match(/y/g)?.length ?? 0), 0)
  assert.equal(kept, 800)
})

test('arrays and objects keep their first 50 entries; nesting stops', () => {
  const bounds = createLogBounds(100)
  const out = bounds.value({ list: Array.from({ length: 60 }, (_, i) => i) }) as { list: unknown[] }
  assert.equal(out.list.length, 51)
  assert.equal(out.list[50], '[10 more items]')
  let deep: unknown = 'leaf'
  for (let i = 0; i < 20; i++) deep = { deep }
  assert.match(JSON.stringify(bounds.value(deep)), /nested too deep to log/)
})

test('serializer keys are left to their serializers; dates keep their JSON form', () => {
  const bounds = createLogBounds(100)
  const err = new Error('e')
  const when = new Date('2026-01-01T00:00:00Z')
  const out = bounds.object({ err, when }, new Set(['err']))
  assert.equal(out.err, err)
  assert.equal(out.when, '2026-01-01T00:00:00.000Z')
})
