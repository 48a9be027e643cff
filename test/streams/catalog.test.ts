import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildCatalog, topicsOfRequest } from '../../src/streams/catalog.js'
import { validateStreamConfig } from '../../src/stream-config/index.js'
import { mediawikiStreamConfigs } from '../helpers/mediawiki-api.js'

test('topics: the topics setting, else each prefix before the name, else the name; defaults apply unless a stream sets its own', () => {
  const catalog = buildCatalog({
    explicit: { schema_title: 's', topics: ['x.1', 'x.2'] },
    prefixed: { schema_title: 's', topic_prefixes: ['eqiad.', 'codfw.'] },
    defaulted: { schema_title: 's' },
    bare: null,
    '/^re\\..+/': { schema_title: 's' }
  }, { defaults: { topic_prefixes: ['dc1.'] }, aliases: { prefixed: ['p'] } })
  assert.deepEqual([...catalog.keys()], ['bare', 'defaulted', 'explicit', 'p', 'prefixed'])
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

test('legacy eventlogging_ streams: the bare name in the legacy home, the prefixed name elsewhere; explicit topics as given', () => {
  const data = validateStreamConfig(mediawikiStreamConfigs().streams, 'api.php')
  const options = { defaults: { topic_prefixes: ['eqiad.', 'codfw.'] }, aliases: {}, legacyTopicsHome: 'eqiad.' }
  const catalog = buildCatalog(data, options)
  // topic_prefixes: null and the API's computed topics: [name] are read as the topology's names.
  assert.deepEqual(catalog.get('eventlogging_TestLegacy')!.topics, ['eventlogging_TestLegacy', 'codfw.eventlogging_TestLegacy'])
  assert.deepEqual(catalog.get('keyed.page')!.topics, ['eqiad.keyed.page', 'codfw.keyed.page'])
  assert.deepEqual(catalog.get('mediawiki.revision-score')!.topics, ['eqiad.mediawiki.revision-score', 'codfw.mediawiki.revision-score', 'mediawiki.revision-score.legacy'])
  assert.ok(!catalog.has('/^mediawiki\\.job\\..+/'))
  // Sluice's own YAML, with the defaults' prefixes: the same topics.
  const own = buildCatalog({ eventlogging_TestLegacy: { schema_title: 'analytics/legacy/testlegacy' } }, options)
  assert.deepEqual(own.get('eventlogging_TestLegacy')!.topics, ['eventlogging_TestLegacy', 'codfw.eventlogging_TestLegacy'])
  // One datacenter (no legacy home): the bare name, once, as the gateway writes it.
  const single = buildCatalog(data, { defaults: { topic_prefixes: ['eqiad.'] }, aliases: {} })
  assert.deepEqual(single.get('eventlogging_TestLegacy')!.topics, ['eventlogging_TestLegacy'])
  assert.deepEqual(buildCatalog({ eventlogging_X: { schema_title: 's' } }, { defaults: { topic_prefixes: ['eqiad.', 'codfw.'] }, aliases: {} }).get('eventlogging_X')!.topics, ['eventlogging_X'])
  // Any other stream declared without prefixes is read under the bare name the config says.
  assert.deepEqual(buildCatalog({ plain: { schema_title: 's', topic_prefixes: null } }, options).get('plain')!.topics, ['plain'])
})
