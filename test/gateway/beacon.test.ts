import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BeaconMalformedError, capsuleToEvent, legacySchemaUri, readCapsule, unquotePlus } from '../../src/gateway/beacon.js'

const settings = { schemas: { Configured: '/analytics/legacy/configured/1.2.0' }, maxBytes: 1024, maxEventDepth: 4 }
const capsule = { event: { a: 1 }, schema: 'NavigationTiming', revision: 123, webHost: 'en.wikipedia.org', wiki: 'enwiki' }

test('the capsule is the percent-encoded JSON after ?, with the trailing ; of EventLogging\'s URLs', () => {
  const encoded = encodeURIComponent(JSON.stringify(capsule))
  assert.deepEqual(readCapsule(`/beacon/event?${encoded};`, settings), capsule)
  assert.deepEqual(readCapsule(`/beacon/event?${encoded}`, settings), capsule, 'without ;')
  assert.deepEqual(readCapsule(`/beacon/event??${encoded};;`, settings), capsule, 'stripped from both ends, as decode_qson does')
})

test('unquote_plus: + is a space, a stray % stays, bytes that are not UTF-8 become U+FFFD', () => {
  assert.equal(unquotePlus('a+b%20c'), 'a b c')
  assert.equal(unquotePlus('100%+sure%2B'), '100% sure+')
  assert.equal(unquotePlus('%C3%A9t%C3%A9'), 'été')
  assert.equal(unquotePlus('%ff%'), '\ufffd%')
})

test('what is not a capsule is malformed; what is too long is too_large', () => {
  const outcome = (url: string): string => {
    try {
      readCapsule(url, settings)
      return 'read'
    } catch (err) {
      assert.ok(err instanceof BeaconMalformedError)
      return err.outcome
    }
  }
  assert.equal(outcome('/beacon/event'), 'malformed', 'no query')
  assert.equal(outcome('/beacon/event?;'), 'malformed', 'empty')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent('{"schema":')};`), 'malformed', 'not JSON')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent('[1]')};`), 'malformed', 'not an object')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent('{"event":{}}')};`), 'malformed', 'no schema name')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent('{"schema":"../x"}')};`), 'malformed', 'a schema name that is no name')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent('{"schema":"S","__proto__":{}}')};`), 'malformed', 'prototype keys')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent(JSON.stringify({ schema: 'S', event: { a: { b: { c: { d: 1 } } } } }))};`), 'malformed', 'deeper than max_event_depth below the capsule')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent(JSON.stringify({ schema: 'S', event: { a: { b: { c: 1 } } } }))};`), 'read')
  assert.equal(outcome(`/beacon/event?${encodeURIComponent(JSON.stringify({ schema: 'S', pad: 'x'.repeat(1100) }))};`), 'too_large')
  assert.equal(outcome(`/beacon/event?${'%20'.repeat(1100)};`), 'too_large', 'judged before decoding when the query alone is too long')
})

test('a capsule becomes the migrated client\'s event: $schema, eventlogging_<Schema>, meta.domain from webHost, no client dt', () => {
  const event = capsuleToEvent({ ...capsule, dt: '1999-01-01T00:00:00Z', meta: { dt: 'x', stream: 'elsewhere', id: 'mine' } }, '/analytics/legacy/navigationtiming/1.0.0')
  assert.deepEqual(event, {
    $schema: '/analytics/legacy/navigationtiming/1.0.0',
    event: { a: 1 },
    schema: 'NavigationTiming',
    revision: 123,
    webHost: 'en.wikipedia.org',
    wiki: 'enwiki',
    meta: { id: 'mine', stream: 'eventlogging_NavigationTiming', domain: 'en.wikipedia.org' }
  })
})

test('$schema: the configured URI ($wgEventLoggingSchemas), else the latest analytics/legacy/<schema lower-cased>', () => {
  assert.deepEqual(legacySchemaUri('Configured', settings), { uri: '/analytics/legacy/configured/1.2.0', latest: false })
  assert.deepEqual(legacySchemaUri('CpuBenchmark', settings), { uri: '/analytics/legacy/cpubenchmark/latest', latest: true })
  assert.deepEqual(legacySchemaUri('toString', settings), { uri: '/analytics/legacy/tostring/latest', latest: true }, 'not an inherited property')
})
