import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildBoundedErrorEvent, buildErrorEvent, failureReason, truncateUtf8 } from '../../src/changeprop/failure-events.js'
import { KafkaProduceError } from '../../src/kafka/index.js'

const handled = { $schema: '/mediawiki/revision/create/1.0.0', meta: { stream: 'mediawiki.revision-create', domain: 'en.wikipedia.org', uri: 'https://en.wikipedia.org/wiki/A', request_id: 'r-1' }, body: 'é'.repeat(3000) }

test('an error event carries the code, the emitter and the original event, and names its stream after the service', () => {
  const event = buildErrorEvent({ service: 'cp', rule: 'purge', handled, raw: '', error: new KafkaProduceError('refused', 'MESSAGE_TOO_LARGE'), id: 'id-1', now: Date.UTC(2026, 0, 1) })
  assert.equal(event.$schema, '/error/0.0.3')
  assert.deepEqual(event.meta, { stream: 'cp.error', id: 'id-1', dt: '2026-01-01T00:00:00.000Z', domain: 'en.wikipedia.org', uri: 'https://en.wikipedia.org/wiki/A', request_id: 'r-1' })
  assert.equal(event.emitter_id, 'cp#purge')
  assert.equal(event.raw_event, JSON.stringify(handled))
  assert.equal(event.error_code, 'SLUICE_ERR_KAFKA_PRODUCE')
})

test('a bounded error event keeps at most the given bytes of the original, whole characters only, and says so', () => {
  const full = JSON.stringify(handled)
  const event = buildBoundedErrorEvent({ service: 'cp', rule: 'purge', handled, raw: '', error: new Error('too large'), id: 'id-1', now: 0 }, 1001)
  const kept = event.raw_event as string
  assert.ok(Buffer.byteLength(kept) <= 1001)
  assert.ok(full.startsWith(kept), 'a prefix of the original')
  assert.ok(!kept.includes('\ufffd'), 'no character cut in two')
  assert.match(event.message as string, new RegExp(`^too large \\[raw_event truncated: first ${Buffer.byteLength(kept)} of ${Buffer.byteLength(full)} bytes\\]$`))
})

test('truncateUtf8 steps back to a character boundary and leaves short text alone', () => {
  assert.equal(truncateUtf8('aé', 2), 'a')
  assert.equal(truncateUtf8('aé', 3), 'aé')
  assert.equal(truncateUtf8('€€', 4), '€')
})

test('the reason of a failed response is its title or message when JSON, else its text', () => {
  const response = (body: string) => ({ kind: 'response' as const, status: 500, headers: {}, body })
  assert.equal(failureReason(response('{"title":"Oops","message":"m"}')), 'Oops')
  assert.equal(failureReason(response('{"message":"m"}')), 'm')
  assert.equal(failureReason(response('plain')), 'plain')
  assert.equal(failureReason(response('')), 'HTTP 500')
})
