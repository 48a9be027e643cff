import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maxSkewOf, recordTimestamp, toRecord, topicFor } from '../../../src/gateway/pipeline/record.js'

const options = { topicPrefix: 'eqiad.', dtField: 'meta.dt', maxMessageBytes: 10000 }

test('topic is prefix + stream, except legacy eventlogging_ streams and an empty prefix', () => {
  assert.equal(topicFor('mediawiki.revision-create', 'eqiad.'), 'eqiad.mediawiki.revision-create')
  assert.equal(topicFor('eventlogging_NavigationTiming', 'eqiad.'), 'eventlogging_NavigationTiming')
  assert.equal(topicFor('x', ''), 'x')
})

test('with a legacy home, a legacy stream is bare there and prefixed in every other datacenter', () => {
  assert.equal(topicFor('eventlogging_NavigationTiming', 'eqiad.', 'eqiad.'), 'eventlogging_NavigationTiming')
  assert.equal(topicFor('eventlogging_NavigationTiming', 'codfw.', 'eqiad.'), 'codfw.eventlogging_NavigationTiming')
  assert.equal(toRecord({ meta: { stream: 'eventlogging_X' } }, 'eventlogging_X', undefined, { ...options, topicPrefix: 'codfw.', legacyTopicsHome: 'eqiad.' }).topic, 'codfw.eventlogging_X')
  assert.equal(topicFor('mediawiki.revision-create', 'codfw.', 'eqiad.'), 'codfw.mediawiki.revision-create')
})

test('the record carries the JSON event, key from message_key_fields and timestamp from meta.dt', () => {
  const event = { meta: { dt: '2019-01-01T00:00:00Z', stream: 's' }, wiki_id: 'enwiki', page: { page_id: 7 } }
  const record = toRecord(event, 's', { schema_title: 't', message_key_fields: { wiki_id: 'wiki_id', page_id: 'page.page_id' } }, options)
  assert.equal(record.topic, 'eqiad.s')
  assert.equal(record.key, '{"wiki_id":"enwiki","page_id":7}')
  assert.equal(record.timestamp, 1546300800000)
  assert.deepEqual(JSON.parse(String(record.value)), event)
})

test('no key without message_key_fields, no timestamp without a parsable meta.dt', () => {
  const record = toRecord({ meta: { dt: 'yesterday' } }, 's', { schema_title: 't' }, options)
  assert.equal(record.key, null)
  assert.equal(record.timestamp, undefined)
})

test('a missing key field is an error naming it, as EventGate', () => {
  assert.throws(() => toRecord({}, 's', { schema_title: 't', message_key_fields: { page_id: 'page.page_id' } }, options),
    { code: 'SLUICE_ERR_EVENT_KEY_FIELD_MISSING', message: 'Failed extracting page.page_id from event, field is not defined.' })
})

test('an event over the Kafka message limit is refused before producing', () => {
  assert.throws(() => toRecord({ big: 'x'.repeat(20000) }, 's', undefined, options), { code: 'SLUICE_ERR_EVENT_TOO_LARGE' })
})

test('the record timestamp is the dt_field within the skew of the intake time, clamped beyond it, the intake time without it', () => {
  const intake = Date.parse('2026-03-01T12:00:00Z')
  const skew = 3600000
  const at = (dt: unknown): ReturnType<typeof recordTimestamp> => recordTimestamp({ meta: { dt } }, 'meta.dt', intake, skew)
  assert.deepEqual(at('2026-03-01T11:30:00Z'), { timestamp: Date.parse('2026-03-01T11:30:00Z'), clamped: undefined })
  assert.deepEqual(at('2026-03-01T13:00:00Z'), { timestamp: intake + skew, clamped: undefined }, 'exactly the skew is allowed')
  assert.deepEqual(at('2029-01-01T00:00:00Z'), { timestamp: intake + skew, clamped: 'future' })
  assert.deepEqual(at('2019-01-01T00:00:00Z'), { timestamp: intake - skew, clamped: 'past' })
  assert.deepEqual(at(undefined), { timestamp: intake, clamped: undefined })
  assert.deepEqual(at('yesterday'), { timestamp: intake, clamped: undefined })
  assert.deepEqual(at(1546300800000), { timestamp: intake, clamped: undefined }, 'only an ISO 8601 string is a time')
  assert.deepEqual(recordTimestamp({ meta: { dt: '2019-01-01T00:00:00Z' } }, 'meta.dt', intake, 0), { timestamp: intake, clamped: 'past' })
  assert.deepEqual(recordTimestamp({ dt: '2026-03-01T11:59:00Z', meta: { dt: '2019-01-01T00:00:00Z' } }, 'dt', intake, skew).clamped, undefined, 'dt_field picks the field')
})

test('a given timestamp wins over the event\'s field; the stream\'s max_timestamp_skew_ms over the gateway\'s', () => {
  assert.equal(toRecord({ meta: { dt: '2019-01-01T00:00:00Z' } }, 's', undefined, options, 1234).timestamp, 1234)
  assert.equal(maxSkewOf({ schema_title: 't', max_timestamp_skew_ms: 5 }, 3600000), 5)
  assert.equal(maxSkewOf({ schema_title: 't' }, 3600000), 3600000)
  assert.equal(maxSkewOf(undefined, 7), 7)
})
