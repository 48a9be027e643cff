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

function titleOf (stream: string): string | undefined {
  const match = index.lookup(stream)
  return match === undefined || match.problem !== undefined ? undefined : match.settings.schema_title
}

test('the first matching regex in declaration order wins', () => {
  assert.equal(titleOf('mediawiki.job.refreshLinks'), 'mediawiki/job')
  assert.equal(index.lookup('mediawiki.job.refreshLinks')?.key, '/^mediawiki\\.job\\..+/')
  assert.equal(titleOf('mediawiki.other'), 'catch-all')
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

test('entries without settings or without schema_title resolve with the problem, the others as before', () => {
  const partial = createStreamIndex({
    'good.stream': { schema_title: 'test/event' },
    'empty.null': null,
    'empty.array': [],
    'empty.object': {},
    'no.title': { destination_event_service: 'eventgate-main' },
    '/^regex\\.no-title\\..+/': { topics: ['x'] }
  })
  assert.deepEqual(partial.lookup('good.stream'), { key: 'good.stream', settings: { schema_title: 'test/event' } })
  assert.equal(partial.lookup('empty.null')?.problem, 'no_settings')
  assert.equal(partial.lookup('empty.array')?.problem, 'no_settings')
  assert.equal(partial.lookup('empty.object')?.problem, 'no_settings')
  assert.equal(partial.lookup('no.title')?.problem, 'no_schema_title')
  assert.equal(partial.lookup('regex.no-title.x')?.problem, 'no_schema_title')
  assert.deepEqual(partial.incomplete().map((i) => i.key).sort(), ['/^regex\\.no-title\\..+/', 'empty.array', 'empty.null', 'empty.object', 'no.title'])
})
