import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildErrorEvent } from '../../../src/gateway/pipeline/error-event.js'

const options = { schemaUri: '/error/2.1.0', stream: 'eventgate.error.validation', emitterId: 'sluice', now: new Date('2026-01-01T00:00:00.000Z') }

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
