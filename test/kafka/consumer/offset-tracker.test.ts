import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createOffsetTracker } from '../../../src/kafka/consumer/offset-tracker.js'

test('nothing is committable before anything finishes', () => {
  const tracker = createOffsetTracker()
  tracker.begin('t', 0, '5')
  tracker.begin('t', 0, '6')
  assert.deepEqual(tracker.committable(), [])
  assert.equal(tracker.inFlight(), 2)
})

test('only the contiguous finished prefix is committable', () => {
  const tracker = createOffsetTracker()
  for (const offset of ['10', '11', '12', '13']) tracker.begin('t', 0, offset)
  tracker.finish('t', 0, '12')
  tracker.finish('t', 0, '13')
  assert.deepEqual(tracker.committable(), [], 'offset 10 is still running, nothing may be committed')
  tracker.finish('t', 0, '10')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '11' }])
  tracker.finish('t', 0, '11')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '14' }])
  assert.equal(tracker.inFlight(), 0)
})

test('gaps between delivered offsets do not hold the watermark back', () => {
  const tracker = createOffsetTracker()
  tracker.begin('t', 0, '3')
  tracker.begin('t', 0, '7')
  tracker.finish('t', 0, '3')
  tracker.finish('t', 0, '7')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '8' }])
})

test('partitions and topics are tracked independently', () => {
  const tracker = createOffsetTracker()
  tracker.begin('a', 0, '1')
  tracker.begin('a', 1, '1')
  tracker.begin('b', 0, '1')
  tracker.begin('a', 0, '2')
  tracker.finish('a', 1, '1')
  tracker.finish('b', 0, '1')
  tracker.finish('a', 0, '2')
  const positions = tracker.committable().sort((x, y) => `${x.topic}${x.partition}`.localeCompare(`${y.topic}${y.partition}`))
  assert.deepEqual(positions, [
    { topic: 'a', partition: 1, offset: '2' },
    { topic: 'b', partition: 0, offset: '2' }
  ])
  assert.equal(tracker.inFlight('a', 0), 1)
  assert.equal(tracker.inFlight('a'), 1)
  assert.equal(tracker.inFlight('b'), 0)
})

test('committed positions are not offered again', () => {
  const tracker = createOffsetTracker()
  tracker.begin('t', 0, '0')
  tracker.finish('t', 0, '0')
  const [position] = tracker.committable()
  assert.ok(position)
  tracker.committed([position])
  assert.deepEqual(tracker.committable(), [])
  assert.equal(tracker.lastCommitted('t', 0), '1')
  tracker.begin('t', 0, '1')
  tracker.finish('t', 0, '1')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '2' }])
})

test('a redelivered offset is refused, and a finish for an unknown offset is ignored', () => {
  const tracker = createOffsetTracker()
  assert.equal(tracker.begin('t', 0, '4'), true)
  assert.equal(tracker.begin('t', 0, '4'), false)
  assert.equal(tracker.begin('t', 0, '3'), false)
  tracker.finish('t', 0, '9')
  tracker.finish('t', 1, '0')
  assert.deepEqual(tracker.committable(), [])
  tracker.finish('t', 0, '4')
  tracker.finish('t', 0, '4')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '5' }])
})

test('reset forgets revoked partitions, and late finishes from before do not count', () => {
  const tracker = createOffsetTracker()
  tracker.begin('t', 0, '1')
  tracker.begin('t', 1, '1')
  tracker.reset([{ topic: 't', partition: 0 }])
  tracker.finish('t', 0, '1')
  tracker.finish('t', 1, '1')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 1, offset: '2' }])
  tracker.reset()
  assert.equal(tracker.inFlight(), 0)
  assert.deepEqual(tracker.committable(), [])
  // After a reset the partition starts again from what is redelivered.
  assert.equal(tracker.begin('t', 1, '1'), true)
})

test('offsets beyond 2^53 keep their precision', () => {
  const tracker = createOffsetTracker()
  tracker.begin('t', 0, '9007199254740993')
  tracker.finish('t', 0, '9007199254740993')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '9007199254740994' }])
})

test('a long run of messages stays correct across internal compaction', () => {
  const tracker = createOffsetTracker()
  for (let i = 0; i < 5000; i++) tracker.begin('t', 0, String(i))
  // Finish everything except 4000, in reverse order.
  for (let i = 4999; i >= 0; i--) if (i !== 4000) tracker.finish('t', 0, String(i))
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '4000' }])
  assert.equal(tracker.inFlight(), 1)
  tracker.finish('t', 0, '4000')
  assert.deepEqual(tracker.committable(), [{ topic: 't', partition: 0, offset: '5000' }])
})

test('the oldest unfinished message is the one holding the partition back, across compaction', () => {
  const tracker = createOffsetTracker()
  assert.equal(tracker.oldestUnfinishedAt('t', 0), undefined)
  for (let i = 0; i < 3000; i++) tracker.begin('t', 0, String(i), 1000 + i)
  tracker.begin('t', 1, '0', 50)
  // Later messages finishing first do not change which one is oldest.
  tracker.finish('t', 0, '2')
  assert.equal(tracker.oldestUnfinishedAt('t', 0), 1000)
  for (let i = 0; i < 2500; i++) tracker.finish('t', 0, String(i))
  assert.equal(tracker.oldestUnfinishedAt('t', 0), 3500)
  assert.equal(tracker.oldestUnfinishedAt('t', 1), 50)
  for (let i = 2500; i < 3000; i++) tracker.finish('t', 0, String(i))
  assert.equal(tracker.oldestUnfinishedAt('t', 0), undefined)
})
