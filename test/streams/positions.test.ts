import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseLastEventId, parseSince, startOf } from '../../src/streams/positions.js'

test('a Last-Event-ID is a non-empty JSON array of topics or entries with integers; anything else is InvalidAssignmentError', () => {
  assert.deepEqual(parseLastEventId('["t1",{"topic":"t2","partition":0,"offset":5},{"topic":"t3","partition":1,"timestamp":9,"seen":2,"cluster":"c"}]'), {
    topics: ['t1'],
    entries: [{ topic: 't2', partition: 0, offset: 5 }, { topic: 't3', partition: 1, timestamp: 9, seen: 2, cluster: 'c' }]
  })
  for (const bad of ['nope', '[]', '{}', '[1]', '[{"topic":"t","partition":"0","offset":1}]', '[{"topic":"t","partition":0}]', '[{"topic":"t","partition":0,"offset":1.5}]', '[{"topic":"t","partition":0,"offset":-3}]', '[{"topic":"t","partition":0,"timestamp":1,"seen":-1}]', '[""]']) {
    assert.throws(() => parseLastEventId(bad), (err: Error & { code?: string }) => err.name === 'InvalidAssignmentError' && err.code === 'SLUICE_ERR_STREAMS_INVALID_LAST_EVENT_ID', bad)
  }
})

test('since is epoch milliseconds or a date; empty is none; anything else is SLUICE_ERR_STREAMS_INVALID_SINCE', () => {
  assert.equal(parseSince('1528934400000'), 1528934400000)
  assert.equal(parseSince('2018-06-14T00:00:00Z'), 1528934400000)
  assert.equal(parseSince('0'), 0)
  assert.equal(parseSince(''), undefined)
  assert.equal(parseSince(undefined), undefined)
  assert.throws(() => parseSince('garbage'), /garbage/)
})

test('an entry starts at its offset on its own cluster, at its timestamp elsewhere; -1 is the end', () => {
  const now = 1000
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: 5, timestamp: 50, seen: 1, cluster: 'here' }, 'here', now), { kind: 'offset', offset: 5, timestamp: 50, seen: 1 })
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: 5, timestamp: 50, seen: 1, cluster: 'there' }, 'here', now), { kind: 'timestamp', timestamp: 50, seen: 1 })
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: 5, timestamp: 50 }, 'here', now), { kind: 'timestamp', timestamp: 50, seen: 0 })
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: 5 }, 'here', now), { kind: 'offset', offset: 5, timestamp: now, seen: 0 })
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: -1 }, 'here', now), { kind: 'latest', timestamp: now })
  assert.deepEqual(startOf({ topic: 't', partition: 0, offset: -2 }, 'here', now), { kind: 'offset', offset: 0, timestamp: now, seen: 0 })
})
