import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEventCodec } from '../../src/streams/event-codec.js'
import type { StreamRecord } from '../../src/kafka/index.js'

// EventStreams' deserializer as the stream service applies it to every record: the `data:` text
// is the event with meta's members set, serialized again, whatever the record's text looked like.

function record (value: string | null, offset = 7, key: string | null = null): StreamRecord {
  return { topic: 'eqiad.mediawiki.page-create', partition: 2, offset, timestamp: 0, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: new Map() }
}

const codec = createEventCodec(undefined)

/** What EventStreams sends: the event parsed, meta's members set, serialized again. */
function expected (text: string, offset = 7, key?: unknown): Record<string, unknown> {
  const event = JSON.parse(text) as Record<string, unknown>
  const meta = (event.meta !== null && typeof event.meta === 'object' && !Array.isArray(event.meta) ? event.meta : {}) as Record<string, unknown>
  event.meta = meta
  Object.assign(meta, { topic: 'eqiad.mediawiki.page-create', partition: 2, offset }, key === undefined ? {} : { key })
  return event
}

/** A random JSON value; `depth` bounds its nesting. */
function randomValue (rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 0 ? 8 : 5))
  switch (pick) {
    case 0: return Math.floor(rand() * 1e9) - 5e8
    case 1: return rand() * 1000
    case 2: return randomString(rand)
    case 3: return rand() < 0.5
    case 4: return null
    case 5: case 6: return randomObject(rand, depth - 1)
    default: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1))
  }
}

function randomObject (rand: () => number, depth: number, withMeta = false): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const n = Math.floor(rand() * 5)
  for (let i = 0; i < n; i++) out[rand() < 0.15 ? 'meta' : randomString(rand)] = randomValue(rand, depth)
  if (withMeta) out.meta = randomObject(rand, depth)
  return out
}

const alphabet = ['a', 'b', 'meta', '"', '\\', '{', '}', '[', ']', ',', ':', '\n', '\u2028', 'é', '😀', '\u0001', ' ']
function randomString (rand: () => number): string {
  return Array.from({ length: Math.floor(rand() * 6) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
}

function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296
    return s / 4294967296
  }
}

test('the data is the event with meta.topic, meta.partition and meta.offset last in meta, serialized again', () => {
  const rand = seeded(42)
  for (let i = 0; i < 20000; i++) {
    const text = JSON.stringify(randomObject(rand, 3, rand() < 0.9))
    const decoded = codec.once(record(text, i))
    assert.ok(decoded !== undefined)
    assert.equal(decoded.data, JSON.stringify(expected(text, i)), text)
    assert.deepEqual(decoded.event, expected(text, i))
  }
})

test('text written otherwise (line breaks, spaces, escapes, duplicate keys, a nested meta, meta already set) gives one line that means the same', () => {
  const texts = [
    '{ "meta" : { "id" : "x" } , "a" : [ 1 , { "meta" : { } } ] }',
    '{\t"meta":\t{"dt":"2026-12-08T00:00:00Z"}}',
    '{"meta":{"a":1},"meta":{"b":"\\u00e9\\/"}}',
    '{"meta":{"a":1},"meta":[1,2]}',
    '{"meta":[1],"meta":{"c":{"meta":{}}}}',
    '{"m\\u0065ta":{"a":1}}',
    '{"meta":{"a":1},"m\\u0065ta":{"b":2}}',
    '{"data":{"meta":{"x":1}}}',
    '{"meta":"not an object","x":"}"}',
    '{"meta":{}}',
    '{"meta":{ }}',
    '{}',
    ' {"meta":{"a":1}} ',
    '{\n  "meta": {\n    "id": "pretty"\n  }\n}',
    '{"meta":{"topic":"already there","offset":-1}}',
    '{"s":"\\\\","meta":{"q":"\\"}\\\\"}}'
  ]
  for (const text of texts) {
    const decoded = codec.once(record(text))
    assert.ok(decoded !== undefined, text)
    assert.deepEqual(JSON.parse(decoded.data), expected(text), text)
    assert.doesNotMatch(decoded.data, /[\r\n]/, text)
    assert.equal(decoded.data[0], '{', `${text}: NDJSON ids are written into the data's first brace`)
  }
})

test('a record key becomes meta.key: parsed when it is JSON, else its text', () => {
  const text = '{"meta":{"id":"k"}}'
  assert.deepEqual(JSON.parse(codec.once(record(text, 7, '{"page_id":12}'))!.data), expected(text, 7, { page_id: 12 }))
  assert.deepEqual(JSON.parse(codec.once(record(text, 7, 'plain key'))!.data), expected(text, 7, 'plain key'))
})

test('a value that is not a JSON object is no event', () => {
  for (const value of [null, '', 'not json', '[1,2]', '"text"', '42', 'null', '{"a":']) assert.equal(codec.once(record(value)), undefined, String(value))
})

test('a redacted stream serializes what the redactor left', () => {
  const redacting = createEventCodec((event) => ({ ...event, secret: '[redacted]' }))
  const decoded = redacting.once(record('{"meta":{"id":"r"},"secret":"s3cret"}'))
  assert.ok(decoded !== undefined)
  assert.doesNotMatch(decoded.data, /s3cret/)
  assert.equal(JSON.parse(decoded.data).secret, '[redacted]')
})
