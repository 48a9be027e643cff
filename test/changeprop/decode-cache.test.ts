import assert from 'node:assert/strict'
import test from 'node:test'
import type { ConsumedMessage } from '../../src/kafka/index.js'
import { createDecodeCache } from '../../src/changeprop/decode-cache.js'

function message (offset: string, value: string): ConsumedMessage {
  return { topic: 'eqiad.page-edit', partition: 0, offset, key: null, value: Buffer.from(value), timestamp: '0', headers: {} }
}

test('a record read by several rules is decoded once; another offset is decoded on its own', () => {
  const cache = createDecodeCache(10)
  const first = cache.decode(message('1', '{"meta":{"id":"a"}}'))
  const again = cache.decode(message('1', '{"meta":{"id":"a"}}'))
  assert.equal(again, first, 'the same decoded event, not a second parse')
  const other = cache.decode(message('2', '{"meta":{"id":"b"}}'))
  assert.notEqual(other, first)
  assert.ok(other.ok && other.event.meta.id === 'b')
})

test('the cache keeps the newest records only, and 0 turns it off', () => {
  const cache = createDecodeCache(2)
  const oldest = cache.decode(message('1', '{"meta":{}}'))
  cache.decode(message('2', '{"meta":{}}'))
  cache.decode(message('3', '{"meta":{}}'))
  assert.notEqual(cache.decode(message('1', '{"meta":{}}')), oldest, 'offset 1 was dropped for offset 3')
  const off = createDecodeCache(0)
  assert.notEqual(off.decode(message('1', '{"meta":{}}')), off.decode(message('1', '{"meta":{}}')))
})

test('a malformed record is decoded once too, as malformed', () => {
  const cache = createDecodeCache(10)
  const bad = cache.decode(message('7', 'not json'))
  assert.equal(bad.ok, false)
  assert.equal(cache.decode(message('7', 'not json')), bad)
})
