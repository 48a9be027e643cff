import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createTurnEnd } from '../../src/gateway/turn-end.js'

test('waiters of one turn share one wait, which ends after the turn: after its ticks and promises', async () => {
  const turnEnd = createTurnEnd()
  const order: string[] = []
  const first = turnEnd()
  const second = turnEnd()
  assert.equal(first, second, 'one immediate per turn, however many wait')
  void first.then(() => { order.push('turn ended') })
  process.nextTick(() => { order.push('tick') })
  void Promise.resolve().then(() => { order.push('promise') })
  await first
  assert.deepEqual(order.slice(0, 2).sort(), ['promise', 'tick'])
  assert.equal(order[2], 'turn ended')
})

test('a wait asked for after a turn ended is a new one, for the turn it was asked in', async () => {
  const turnEnd = createTurnEnd()
  const earlier = turnEnd()
  await earlier
  let ended = false
  const later = turnEnd()
  assert.notEqual(later, earlier, 'an ended wait is not handed out again: it would not wait')
  void later.then(() => { ended = true })
  await Promise.resolve()
  assert.equal(ended, false)
  await later
  assert.equal(ended, true)
})

test('two gateways do not share a turn end (no module state)', () => {
  assert.notEqual(createTurnEnd()(), createTurnEnd()())
})
