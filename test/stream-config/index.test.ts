import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createStreamIndex } from '../../src/stream-config/index.js'

const index = createStreamIndex({
  'test.event': { schema_title: 'test/event' },
  '/^mediawiki\\.job\\..+/': { schema_title: 'mediawiki/job' },
  '/^mediawiki\\..+/': { schema_title: 'catch-all' },
  'mediawiki.job.exact': { schema_title: 'exact' }
})

test('exact names win over regexes', () => {
  assert.deepEqual(index.lookup('mediawiki.job.exact'), { key: 'mediawiki.job.exact', settings: { schema_title: 'exact' } })
})

test('the first matching regex in declaration order wins', () => {
  assert.equal(index.lookup('mediawiki.job.refreshLinks')?.settings.schema_title, 'mediawiki/job')
  assert.equal(index.lookup('mediawiki.job.refreshLinks')?.key, '/^mediawiki\\.job\\..+/')
  assert.equal(index.lookup('mediawiki.other')?.settings.schema_title, 'catch-all')
})

test('undeclared streams are not found', () => {
  assert.equal(index.lookup('nope'), undefined)
  assert.equal(index.lookup('nope'), undefined)
})

test('select answers the requested streams that resolve, omitting the others', () => {
  assert.deepEqual(index.select(['test.event', 'nope', 'mediawiki.job.x']), {
    'test.event': { schema_title: 'test/event' },
    'mediawiki.job.x': { schema_title: 'mediawiki/job' }
  })
})
