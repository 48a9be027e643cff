import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createExecSlots } from '../../src/changeprop/exec-slots.js'

const signal = new AbortController().signal

test('at most size runs at once, the others in the order they came', async () => {
  const slots = createExecSlots(2)
  const order: string[] = []
  const releases: Array<() => void> = []
  const hold = (name: string): Promise<void> => slots.run(async () => {
    order.push(`${name} started`)
    await new Promise<void>((resolve) => releases.push(resolve))
  }, signal)
  const runs = [hold('a'), hold('b'), hold('c'), hold('d')]
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(order, ['a started', 'b started'])
  releases.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(order, ['a started', 'b started', 'c started'])
  while (releases.length > 0 || order.length < 4) {
    releases.shift()?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(runs)
  assert.deepEqual(order, ['a started', 'b started', 'c started', 'd started'])
})

test('a run waiting for a slot ends with the signal, and gives up its place', async () => {
  const slots = createExecSlots(1)
  let release: () => void = () => undefined
  const first = slots.run(async () => { await new Promise<void>((resolve) => { release = resolve }) }, signal)
  const shutdown = new AbortController()
  const waiting = slots.run(async () => 'ran', shutdown.signal)
  shutdown.abort(new Error('shutting down'))
  await assert.rejects(waiting, /shutting down/)
  release()
  await first
  assert.equal(await slots.run(async () => 'next', signal), 'next', 'the slot is free again')
})
