import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildErrorEvent } from '../../../src/gateway/pipeline/error-event.js'

const options = { schemaUri: '/error/2.1.0', stream: 'eventgate.error.validation', emitterId: 'sluice', now: new Date('2026-01-01T00:00:00.000Z'), maxStringLength: 2048, maxRawEventBytes: 262144 }

test('an invalid event becomes an error event that keeps the raw event', () => {
  const event = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event', uri: 'https://x/y', domain: 'x', request_id: 'r1' }, test: 1 }
  assert.deepEqual(buildErrorEvent(event, "'.test' must be string", 'ValidationError', options), {
    $schema: '/error/2.1.0',
    meta: { stream: 'eventgate.error.validation', uri: 'https://x/y', domain: 'x', request_id: 'r1' },
    dt: '2026-01-01T00:00:00.000Z',
    emitter_id: 'sluice',
    raw_event: JSON.stringify(event),
    message: "'.test' must be string",
    error_type: 'ValidationError',
    errored_schema_uri: '/test/event/1.0.0',
    errored_stream_name: 'test.event'
  })
})

test('unknown origin fields become "unknown", and absent meta fields are left out', () => {
  const errorEvent = buildErrorEvent(42, 'bad', 'ValidationError', options)
  assert.equal(errorEvent.errored_schema_uri, 'unknown')
  assert.equal(errorEvent.errored_stream_name, 'unknown')
  assert.equal(errorEvent.raw_event, '42')
  assert.deepEqual(errorEvent.meta, { stream: 'eventgate.error.validation' })
})

test('what an error event copies is bounded and marked: the raw event fits its byte limit once escaped', () => {
  const event = { $schema: `/${'s'.repeat(5000)}`, meta: { stream: 't'.repeat(3000), uri: `https://x/${'u'.repeat(3000)}`, domain: 'ok.example' }, body: '"'.repeat(200_000) }
  const errorEvent = buildErrorEvent(event, 'm'.repeat(10_000), 'ValidationError', { ...options, maxRawEventBytes: 100_000 })
  assert.ok(Buffer.byteLength(JSON.stringify(errorEvent.raw_event)) <= 100_000, 'raw_event within its limit, escaped')
  assert.match(errorEvent.raw_event as string, /…\[\d+ more characters\]$/)
  assert.equal(errorEvent.message, `${'m'.repeat(2048)}…[7952 more characters]`)
  assert.equal(errorEvent.errored_schema_uri, `/${'s'.repeat(2047)}…[2953 more characters]`)
  assert.equal(errorEvent.errored_stream_name, `${'t'.repeat(2048)}…[952 more characters]`)
  assert.deepEqual(errorEvent.meta, { stream: 'eventgate.error.validation', domain: 'ok.example' }, 'a meta field over the limit is left out, not cut')
  assert.deepEqual(buildErrorEvent(event, 'm', 'ValidationError', { ...options, minimal: true }).meta, { stream: 'eventgate.error.validation' })
})
