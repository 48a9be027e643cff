import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildCatalog, topicsOfRequest } from '../../src/streams/catalog.js'

test('topics: the topics setting, else each prefix before the name, else the name; defaults apply unless a stream sets its own', () => {
  const catalog = buildCatalog({
    explicit: { schema_title: 's', topics: ['x.1', 'x.2'] },
    prefixed: { schema_title: 's', topic_prefixes: ['eqiad.', 'codfw.'] },
    defaulted: { schema_title: 's' },
    bare: null,
    eventlogging_Legacy: { schema_title: 's', topic_prefixes: null },
    '/^re\\..+/': { schema_title: 's' }
  }, { defaults: { topic_prefixes: ['dc1.'] }, aliases: { prefixed: ['p'] } })
  assert.deepEqual([...catalog.keys()], ['bare', 'defaulted', 'eventlogging_Legacy', 'explicit', 'p', 'prefixed'])
  assert.deepEqual(catalog.get('eventlogging_Legacy')!.topics, ['eventlogging_Legacy'], 'topic_prefixes: null is the stream name alone')
  assert.deepEqual(catalog.get('explicit')!.topics, ['x.1', 'x.2'])
  assert.deepEqual(catalog.get('prefixed')!.topics, ['eqiad.prefixed', 'codfw.prefixed'])
  assert.deepEqual(catalog.get('p')!.topics, ['eqiad.prefixed', 'codfw.prefixed'])
  assert.equal(catalog.get('p')!.aliasOf, 'prefixed')
  assert.deepEqual(catalog.get('defaulted')!.topics, ['dc1.defaulted'])
  assert.equal(catalog.get('defaulted')!.description, 'defaulted events.')
  const none = buildCatalog({ only: { schema_title: 's' } }, { defaults: {}, aliases: {} })
  assert.deepEqual(none.get('only')!.topics, ['only'])
})

test('allowed_streams limits what is served; a request\'s topics are each listed once, unknown names are reported', () => {
  const catalog = buildCatalog({ a: { schema_title: 's', topics: ['t1', 't2'] }, b: { schema_title: 's', topics: ['t2', 't3'] }, c: {} }, { defaults: {}, allowed: ['a', 'b'], aliases: { a: ['aa'] } })
  assert.deepEqual([...catalog.keys()], ['a', 'aa', 'b'])
  assert.deepEqual(topicsOfRequest(catalog, ['a', 'b', 'aa']), { topics: ['t1', 't2', 't3'], streams: [catalog.get('a'), catalog.get('b'), catalog.get('aa')] })
  assert.deepEqual(topicsOfRequest(catalog, ['a', 'c', 'zz']), { unknown: ['c', 'zz'] })
})
