import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPartitioner } from '../../../src/changeprop/modules/partition.js'

const partitioner = createPartitioner({
  stream: 'cpjobqueue.partitioned.{{message.meta.stream}}',
  partition_key: 'params.database',
  partition_map: { enwiki: 0, dewiki: 4 },
  partition_default: 2
})

const job = (database: unknown): Record<string, unknown> => ({ meta: { stream: 'mediawiki.job.refreshLinks', id: 'job-1', dt: '2024-01-01T00:00:00Z' }, params: { database }, sha1: 'abc' })

test('an event is copied to the partition stream, at the mapped partition or the default; only meta.stream changes', () => {
  assert.equal(partitioner.partitions, 5)
  assert.equal(partitioner.streamFor('mediawiki.job.refreshLinks'), 'cpjobqueue.partitioned.mediawiki.job.refreshLinks')
  for (const [database, partition] of [['dewiki', 4], ['enwiki', 0], ['frwiki', 2], [undefined, 2], [{}, 2]] as const) {
    const original = job(database)
    const outcome = partitioner.partition(original)
    assert.equal(outcome.kind, 'produce')
    if (outcome.kind !== 'produce') continue
    const [record] = outcome.records
    assert.equal(record?.partition, partition, String(database))
    assert.equal(record?.stream, 'cpjobqueue.partitioned.mediawiki.job.refreshLinks')
    assert.deepEqual(record?.event, { ...original, meta: { ...(original.meta as object), stream: 'cpjobqueue.partitioned.mediawiki.job.refreshLinks' } })
    assert.equal((original.meta as { stream: string }).stream, 'mediawiki.job.refreshLinks', 'the original is left alone')
  }
})

test('a body that is no event, or an event already on its partition stream, fails the step', () => {
  assert.equal(partitioner.partition('text').kind, 'failed')
  assert.equal(partitioner.partition({ meta: { stream: 'cpjobqueue.partitioned.x' }, params: {} }).kind, 'produce')
  const looping = createPartitioner({ stream: 'jobs', partition_key: 'x', partition_map: {}, partition_default: 0 })
  const outcome = looping.partition({ meta: { stream: 'jobs' } })
  assert.equal(outcome.kind, 'failed')
  assert.match(outcome.kind === 'failed' && outcome.result.kind === 'render-failed' ? outcome.result.error.message : '', /already on the partition stream/)
})
