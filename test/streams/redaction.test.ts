import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRedactor, normaliseTitle } from '../../src/streams/redaction.js'

test('titles compare trimmed, spaces as underscores, lowercased', () => {
  assert.equal(normaliseTitle('  Foo  bar_Baz '), 'foo_bar_baz')
})

test('nothing configured is no redactor; a match removes who acted, per stream, on a copy', () => {
  assert.equal(createRedactor({}), undefined)
  const redact = createRedactor({ 'ru.wikipedia.org': ['Foo bar'] })!
  const rc = { meta: { domain: 'ru.wikipedia.org', stream: 'mediawiki.recentchange' }, title: 'foo_Bar', user: 'U' }
  assert.deepEqual(redact(rc), { meta: rc.meta, title: 'foo_Bar' })
  assert.equal(rc.user, 'U', 'the original is unchanged (other clients share it)')
  const pc = { meta: { domain: 'ru.wikipedia.org', stream: 'mediawiki.page_change.v1' }, page: { page_title: 'Foo_bar' }, performer: { id: 1 }, revision: { editor: { id: 1 }, rev_id: 2 }, prior_state: { revision: { editor: { id: 1 } } } }
  assert.deepEqual(redact(pc), { meta: pc.meta, page: pc.page, performer: {}, revision: { rev_id: 2 }, prior_state: { revision: {} } })
  const other = { meta: { domain: 'ru.wikipedia.org', stream: 'mediawiki.page-create' }, page_title: 'Foo bar', performer: { id: 1 } }
  assert.deepEqual(redact(other), { meta: other.meta, page_title: 'Foo bar' })
  assert.equal(redact({ meta: { domain: 'en.wikipedia.org', stream: 'mediawiki.recentchange' }, title: 'Foo bar', user: 'U' }), undefined)
  assert.equal(redact({ meta: { domain: 'ru.wikipedia.org', stream: 'mediawiki.recentchange' }, title: 'Other', user: 'U' }), undefined)
})
