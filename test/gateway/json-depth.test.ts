import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bodyDepthLimit, jsonDepthExceeds } from '../../src/gateway/json-depth.js'

test('nesting is counted over objects and arrays, stopping past the limit', () => {
  assert.equal(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 4), false)
  assert.equal(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 3), true)
  assert.equal(jsonDepthExceeds('[]', 1), false)
  assert.equal(jsonDepthExceeds('"[[[["', 1), false)
})

test('brackets inside strings, escaped quotes included, do not count', () => {
  assert.equal(jsonDepthExceeds('{"a":"[[[{{{","b":"\\"[[[["}', 1), false)
  assert.equal(jsonDepthExceeds('{"a":"\\\\","b":[[1]]}', 2), true)
})

test('a 5,000-level body is refused without recursion', () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000)
  assert.equal(jsonDepthExceeds(deep, 64), true)
})

test('an array of events gets one more level than a single event', () => {
  assert.equal(bodyDepthLimit('  [{"a":1}]', 64), 65)
  assert.equal(bodyDepthLimit('{"a":1}', 64), 64)
})
