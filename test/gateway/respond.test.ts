import { test } from 'node:test'
import assert from 'node:assert/strict'
import { respond } from '../../src/gateway/respond.js'
import type { EventResult } from '../../src/gateway/respond.js'

const ok: EventResult = { status: 'success' }
const invalid: EventResult = { status: 'invalid', event: { a: 1 }, context: { errors: [], errorsText: "'.a' must be string" } }
const error: EventResult = { status: 'error', event: { b: 2 }, context: { message: 'boom' } }
const unavailable: EventResult = { status: 'error', event: { c: 3 }, context: { message: 'Kafka down', code: 'SLUICE_ERR_KAFKA_UNAVAILABLE' }, unavailable: true }

test('all accepted answers 201 without a body', () => {
  assert.deepEqual(respond([ok, ok]), { statusCode: 201, reason: 'All 2 out of 2 events were accepted.' })
})

test('all invalid answers 400 with only the invalid list', () => {
  const answer = respond([invalid, invalid])
  assert.equal(answer.statusCode, 400)
  assert.equal(answer.reason, '2 out of 2 events were invalid and not accepted.')
  assert.deepEqual(answer.body, { invalid: [invalid, invalid] })
  assert.equal('error' in (answer.body ?? {}), false)
})

test('some accepted answers 207 with both lists, in input order', () => {
  const answer = respond([invalid, ok, error])
  assert.equal(answer.statusCode, 207)
  assert.equal(answer.reason, '1 out of 3 events were accepted, but 2 failed (1 invalid and 1 errored).')
  assert.deepEqual(answer.body, { invalid: [invalid], error: [error] })
})

test('no success and an error answers 500', () => {
  const answer = respond([invalid, error])
  assert.equal(answer.statusCode, 500)
  assert.equal(answer.reason, '2 out of 2 events had failures and were not accepted. (1 invalid and 1 errored).')
  assert.deepEqual(answer.body, { invalid: [invalid], error: [error] })
})

test('no success because Kafka is unavailable answers 503 with Retry-After', () => {
  const answer = respond([unavailable, invalid], 7)
  assert.equal(answer.statusCode, 503)
  assert.equal(answer.retryAfter, 7)
  assert.deepEqual(answer.body, { invalid: [invalid], error: [unavailable] })
})

test('a partial Kafka outage with some success stays 207', () => {
  assert.equal(respond([ok, unavailable]).statusCode, 207)
})
