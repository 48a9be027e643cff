import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createInFlightKeys } from '../../src/changeprop/in-flight-keys.js'

test('a run holding a key makes a run with the same key wait for it; other keys run at once', async () => {
  const keys = createInFlightKeys()
  const order: string[] = []
  let release: () => void = () => undefined
  const first = keys.exclusive(['id:1'], async () => {
    order.push('first started')
    await new Promise<void>((resolve) => { release = resolve })
    order.push('first ended')
  })
  const copy = keys.exclusive(['id:2', 'id:1'], async () => { order.push('copy ran') })
  await keys.exclusive(['id:3'], async () => { order.push('other ran') })
  assert.deepEqual(order, ['first started', 'other ran'], 'the copy waits; an unrelated key does not')
  release()
  await Promise.all([first, copy])
  assert.deepEqual(order, ['first started', 'other ran', 'first ended', 'copy ran'])
})

test('a key is free again after its run failed', async () => {
  const keys = createInFlightKeys()
  await assert.rejects(keys.exclusive(['id:1'], async () => { throw new Error('boom') }), /boom/)
  let ran = false
  await keys.exclusive(['id:1'], async () => { ran = true })
  assert.ok(ran)
})
