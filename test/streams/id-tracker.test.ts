import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createIdTracker } from '../../src/streams/id-tracker.js'
import type { PartitionStart } from '../../src/streams/id-tracker.js'

function start (topic: string, over: Partial<PartitionStart> = {}): PartitionStart {
  return { topic, partition: 0, offset: 10, timestamp: 100, seen: 0, skip: 0, compatibleSeed: { topic, partition: 0, offset: -1 }, ...over }
}

test('ids carry every partition in assignment order, the next offset with the cluster, and the last timestamp with how many records shared it', () => {
  const tracker = createIdTracker([start('a'), start('b')], { cluster: 'C', compatible: false })
  assert.deepEqual(JSON.parse(tracker.id()), [
    { topic: 'a', partition: 0, offset: 10, timestamp: 100, cluster: 'C' },
    { topic: 'b', partition: 0, offset: 10, timestamp: 100, cluster: 'C' }
  ])
  assert.equal(tracker.pass({ topic: 'a', partition: 0, offset: 10, timestamp: 200 }), true)
  assert.equal(tracker.pass({ topic: 'a', partition: 0, offset: 11, timestamp: 200 }), true)
  assert.deepEqual(JSON.parse(tracker.id())[0], { topic: 'a', partition: 0, offset: 12, timestamp: 200, seen: 2, cluster: 'C' })
  tracker.pass({ topic: 'a', partition: 0, offset: 12, timestamp: 150 })
  assert.deepEqual(JSON.parse(tracker.id())[0], { topic: 'a', partition: 0, offset: 13, timestamp: 150, seen: 1, cluster: 'C' })
})

test('a timestamp resume skips exactly the records at that millisecond that were already passed, then counts on', () => {
  const tracker = createIdTracker([start('a', { timestamp: 100, seen: 2, skip: 2 })], { cluster: 'C', compatible: false })
  assert.equal(tracker.pass({ topic: 'a', partition: 0, offset: 0, timestamp: 100 }), false)
  assert.equal(tracker.pass({ topic: 'a', partition: 0, offset: 1, timestamp: 100 }), false)
  assert.equal(tracker.pass({ topic: 'a', partition: 0, offset: 2, timestamp: 100 }), true)
  assert.deepEqual(JSON.parse(tracker.id())[0], { topic: 'a', partition: 0, offset: 3, timestamp: 100, seen: 3, cluster: 'C' })
  const later = createIdTracker([start('a', { timestamp: 100, seen: 2, skip: 2 })], { cluster: 'C', compatible: false })
  assert.equal(later.pass({ topic: 'a', partition: 0, offset: 0, timestamp: 101 }), true, 'a later record ends the skipping')
  assert.equal(later.pass({ topic: 'a', partition: 0, offset: 1, timestamp: 100 }), true)
})

test('compatible ids are EventStreams\' own: the seed until a partition delivers, then timestamp + 1', () => {
  const tracker = createIdTracker([start('a'), start('b', { compatibleSeed: { topic: 'b', partition: 0, offset: 7 } })], { cluster: 'C', compatible: true })
  tracker.pass({ topic: 'a', partition: 0, offset: 10, timestamp: 500 })
  assert.deepEqual(JSON.parse(tracker.id()), [{ topic: 'a', partition: 0, timestamp: 501 }, { topic: 'b', partition: 0, offset: 7 }])
})
