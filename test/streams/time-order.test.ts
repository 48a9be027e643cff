import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { StreamRecord } from '../../src/kafka/index.js'
import { createTimeOrder } from '../../src/streams/time-order.js'
import { waitFor } from '../helpers/wait.js'

function record (topic: string, offset: number, timestamp: number): StreamRecord {
  return { topic, partition: 0, offset, timestamp, key: null, value: null, headers: new Map() }
}

const partitions = [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]

test('records are let through in timestamp order once every partition has one to compare', () => {
  const out: number[] = []
  const order = createTimeOrder(partitions, 60_000, (r) => out.push(r.timestamp))
  void order.add([record('a', 0, 1), record('a', 1, 5), record('a', 2, 9)])
  assert.deepEqual(out, [], 'b has said nothing yet')
  void order.add([record('b', 0, 2), record('b', 1, 6)])
  assert.deepEqual(out, [1, 2, 5, 6])
  order.close()
})

test('one delivery may carry several partitions\' records (the tails of one turn): each goes to its own queue', () => {
  const out: Array<[string, number]> = []
  const order = createTimeOrder(partitions, 60_000, (r) => out.push([r.topic, r.timestamp]))
  void order.add([record('a', 0, 1), record('a', 1, 7), record('b', 0, 3), record('b', 1, 4), record('a', 2, 9)])
  assert.deepEqual(out, [['a', 1], ['b', 3], ['b', 4]], 'b has nothing after 4 to compare 7 with')
  void order.add([record('b', 2, 10)])
  assert.deepEqual(out.slice(3), [['a', 7], ['a', 9]])
  order.close()
})

test('a partition with nothing to say holds the others back for the window only', async () => {
  const out: number[] = []
  const order = createTimeOrder(partitions, 100, (r) => out.push(r.timestamp))
  void order.add([record('a', 0, 1)])
  assert.deepEqual(out, [])
  await waitFor('the window passed', () => out.length === 1, 2000, 10)
  order.close()
})

test('a reader waits while its partition\'s queue is full, and is let go as it drains', async () => {
  const out: number[] = []
  const order = createTimeOrder(partitions, 60_000, (r) => out.push(r.timestamp))
  const waiting = order.add(Array.from({ length: 2500 }, (_, i) => record('a', i, 10 + i)))
  assert.ok(waiting instanceof Promise)
  let released = false
  void waiting.then(() => { released = true })
  void order.add([record('b', 0, 100_000)])
  await waitFor('the full queue drained below half', () => released, 2000, 5)
  assert.equal(out.length, 2500)
  order.close()
})
