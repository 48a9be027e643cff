import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isHasty, toEventList } from '../../../src/gateway/routes/events.js'

test('hasty only for true and 1; false and 0 are not hasty (documented deviation from EventGate)', () => {
  assert.equal(isHasty({ hasty: 'true' }), true)
  assert.equal(isHasty({ hasty: '1' }), true)
  assert.equal(isHasty({ hasty: 'false' }), false)
  assert.equal(isHasty({ hasty: '0' }), false)
  assert.equal(isHasty({ hasty: '' }), false)
  assert.equal(isHasty({}), false)
  assert.equal(isHasty({ hasty: ['false', 'true'] }), true)
})

test('one object is one event; arrays pass through', () => {
  assert.deepEqual(toEventList({ a: 1 }, 10), [{ a: 1 }])
  assert.deepEqual(toEventList([{ a: 1 }, 2], 10), [{ a: 1 }, 2])
})

test('empty bodies are refused with SLUICE_ERR_REQUEST_EMPTY', () => {
  for (const body of [undefined, {}, []]) {
    assert.throws(() => toEventList(body, 10), { code: 'SLUICE_ERR_REQUEST_EMPTY', statusCode: 400 })
  }
})

test('a JSON primitive at the top level is refused with SLUICE_ERR_REQUEST_NOT_EVENTS', () => {
  for (const body of [null, 1, 'x', true]) {
    assert.throws(() => toEventList(body, 10), { code: 'SLUICE_ERR_REQUEST_NOT_EVENTS', statusCode: 400 })
  }
})

test('more events than the per-request limit answers 413', () => {
  assert.throws(() => toEventList([{}, {}, {}], 2), { code: 'SLUICE_ERR_REQUEST_TOO_MANY_EVENTS', statusCode: 413 })
})
