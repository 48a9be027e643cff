import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createChangeprop, loadChangepropConfig } from '../../src/changeprop/index.js'
import type { ChangepropOverrides } from '../../src/changeprop/index.js'
import { murmur3 } from '../../src/changeprop/rules/sample.js'
import { namingOf, topicOf } from '../../src/stream-config/index.js'
import { createTopic, produceMessages, readMessages } from '../helpers/kafka.js'
import { testLogger } from '../helpers/logger.js'
import { startRedis } from '../helpers/redis.js'
import type { SinkRequest } from './helpers/sink.js'
import { hostOf, isApi, startMediawiki } from './helpers/mediawiki.js'
import type { MediawikiServer } from './helpers/mediawiki.js'
import { testChangepropOverrides, testNames } from './helpers/start.js'

// Every rule of Wikimedia Change Propagation's own three configurations (fixtures/changeprop/
// wikimedia, copied unchanged), loaded as `sluice changeprop --config` loads them and run
// against the test broker, a real Redis and a MediaWiki-API-shaped local server that also
// stands for RESTBase, ORES and the job runner (`exec_origin_override` sends every request
// there and says which host the rule named).

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/changeprop/wikimedia/${name}`, import.meta.url))

interface Running {
  mw: MediawikiServer
  prefix: string
  produce: (stream: string, events: Array<Record<string, unknown>>) => Promise<void>
  /** Resolves with the request once one to `host` and `path` arrived. */
  request: (host: string, path: string) => Promise<SinkRequest>
  /** The value of the series of `name` whose labels include every one of `labels`. */
  metric: (name: string, labels: string) => Promise<number>
}

async function runFixture (t: TestContext, name: string, extra: ChangepropOverrides = {}, topics: string[] = []): Promise<Running> {
  const mw = await startMediawiki()
  t.after(async () => { await mw.sink.close() })
  const redis = await startRedis()
  t.after(async () => { await redis.stop() })
  const names = testNames()
  // Topics the rules' /regex/ topics must find at startup.
  for (const topic of topics) await createTopic(topicOf(topic, namingOf(names.prefix)))
  const config = await loadChangepropConfig(fixture(name), {}, testChangepropOverrides(names, {}, { exec_origin_override: mw.origin, redis: { url: redis.url }, ...extra }))
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: testLogger() })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()
  return {
    mw,
    prefix: names.prefix,
    async produce (stream, events) {
      await produceMessages(topicOf(stream, namingOf(names.prefix)), events.map((event) => ({ value: JSON.stringify(event) })))
    },
    async metric (name, labels) {
      const text = await (await fetch(`http://127.0.0.1:${String(changeprop.port)}/metrics`)).text()
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)))
      return Number(line?.split(' ').pop() ?? Number.NaN)
    },
    async request (host, path) {
      const [found] = await mw.sink.waitForRequests(1, { filter: (r) => hostOf(r) === host && r.path === path, timeoutMs: 30000 })
      return found as SinkRequest
    }
  }
}

function event (stream: string, uri: string, fields: Record<string, unknown> = {}, dt = new Date().toISOString()): Record<string, unknown> {
  return { meta: { stream, uri, id: randomUUID(), dt, domain: new URL(uri).host, request_id: randomUUID() }, ...fields }
}

async function htcpListener (t: TestContext): Promise<{ port: number, urls: string[] }> {
  const socket = createSocket('udp4')
  const urls: string[] = []
  socket.on('message', (packet: Buffer) => { urls.push(packet.subarray(22, 22 + packet.readUInt16BE(20)).toString('utf8')) })
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.after(() => { socket.close() })
  return { port: socket.address().port, urls }
}

test('the RESTBase-update configuration: every rule loads unchanged and runs', async (t) => {
  const htcp = await htcpListener(t)
  const cp = await runFixture(t, 'config.example.wikimedia.yaml', {
    // Three dependants over pages of two: the walk continues once.
    mediawiki_api: { limit: 2 },
    purge: { htcp: { host: '127.0.0.1', port: htcp.port } }
  }, ['resource_change', 'change-prop.transcludes.resource-change'])
  const { mw } = cp
  mw.dependants.set('en.wikipedia.org|Template:Box', ['Tr_1', 'Tr_2', 'Tr_3'])
  mw.dependants.set('en.wikipedia.org|File:Pic.jpg', ['Uses_Pic'])
  mw.dependants.set('en.wikipedia.org|New_Page', ['Linker_1', 'Linker_2'])
  mw.sitelinks.set('Q1', ['https://ru.wikipedia.org/wiki/%D0%9F%D1%91%D1%82%D1%80'])
  mw.sitelinks.set('Q2', ['https://de.wikipedia.org/wiki/Zwei'])
  mw.respond = (r) => (hostOf(r) === 'en.wikipedia.org' && r.path.startsWith('/api/rest_v1/page/title/Gone') ? 404 : 200)
  const en = 'https://en.wikipedia.org'

  await cp.produce('resource_change', [
    event('resource_change', `${en}/api/rest_v1/page/html/Main_Page`, { tags: ['restbase'] }),
    event('resource_change', 'https://en.wiktionary.org/api/rest_v1/page/html/Word', { tags: ['restbase'] }),
    event('resource_change', `${en}/wiki/Purged_Page`, { tags: ['purge'] }, '1990-02-20T19:31:13Z'),
    event('resource_change', `${en}/wiki/Null_Page`, { tags: ['null_edit'] })
  ])
  // summary_definition_rerender (both cases), mobile_rerender, purge_varnish, mw_purge, null_edit
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/summary/Main_Page?redirect=false')
  await cp.request('en.wiktionary.org', '/api/rest_v1/page/definition/Word?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/mobile-sections/Main_Page?redirect=false')
  const purged = await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Purged_Page?redirect=false')
  assert.equal(purged.headers['if-unmodified-since'], 'Tue, 20 Feb 1990 19:31:13 +0000')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Null_Page?redirect=false')
  assert.equal(purged.headers['user-agent'], 'SampleChangePropInstance')

  const rev = (title: string, fields: Record<string, unknown>, domain = 'en.wikipedia.org'): Record<string, unknown> =>
    event('mediawiki.revision-create', `https://${domain}/wiki/${title}`, { page_title: title, performer: { user_is_bot: true }, ...fields })
  await cp.produce('mediawiki.revision-create', [
    rev('Template:Box', { rev_id: 11, rev_parent_id: 10, page_namespace: 10 }),
    rev('File:Pic.jpg', { rev_id: 21, rev_parent_id: 20, page_namespace: 6 }),
    rev('Some_Article', { rev_id: 12, rev_parent_id: 11, page_namespace: 0, performer: { user_is_bot: false } }, 'ar.wikipedia.org'),
    rev('New_Page', { rev_id: 31, page_namespace: 0 }),
    rev('Q1', { rev_id: 41, rev_parent_id: 40, page_namespace: 0, comment: '/* wbeditentity-update:0| */ add [it] label' }, 'www.wikidata.org')
  ])
  // page_edit, then its /sys/links/transcludes: on_transclusion_update re-renders each dependant, following the continuation
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Template%3ABox/11?redirect=false')
  for (const title of ['Tr_1', 'Tr_2', 'Tr_3']) {
    const render = await cp.request('en.wikipedia.org', `/api/rest_v1/page/html/${title}?redirect=false`)
    assert.equal(render.headers['x-restbase-mode'], 'templates')
  }
  assert.equal((await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Uses_Pic?redirect=false')).headers['x-restbase-mode'], 'files')
  // ores_cache (in this version a plain HTTP call to ORES)
  await cp.request('ores.wikimedia.org', '/v2/scores/arwiki/?models=reverted&revids=12&precache=true&format=json')
  // process_redlinks and rerender_restbase (its misspelt `refirect` dropped on import)
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Linker_1')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/Linker_2')
  // wikidata_description_on_edit and on_wikidata_description_change
  await cp.request('ru.wikipedia.org', '/api/rest_v1/page/summary/%D0%9F%D1%91%D1%82%D1%80?redirect=false')
  await cp.request('ru.wikipedia.org', '/api/rest_v1/page/mobile-sections/%D0%9F%D1%91%D1%82%D1%80?redirect=false')

  await cp.produce('mediawiki.revision-visibility-change', [event('mediawiki.revision-visibility-change', `${en}/wiki/Hidden`, { rev_id: 77, page_namespace: 0 })])
  await cp.produce('mediawiki.page-delete', [event('mediawiki.page-delete', `${en}/wiki/Gone`, { page_title: 'Gone', rev_id: 8, page_namespace: 0 })])
  await cp.produce('mediawiki.page-undelete', [
    event('mediawiki.page-undelete', `${en}/wiki/Back`, { page_title: 'Back', page_namespace: 0 }),
    event('mediawiki.page-undelete', 'https://www.wikidata.org/wiki/Q2', { page_title: 'Q2', page_namespace: 0 })
  ])
  await cp.produce('mediawiki.page-move', [event('mediawiki.page-move', `${en}/wiki/New`, { page_title: 'New', rev_id: 9, page_namespace: 0, prior_state: { page_title: 'Old' } })])
  await cp.produce('mediawiki.page-properties-change', [event('mediawiki.page-properties-change', `${en}/wiki/Pic_Page`, { page_title: 'Pic_Page', page_namespace: 0, added_properties: { page_image: 'A.jpg' } })])
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/revision/77?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/title/Gone?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/title/Back?redirect=false')
  await cp.request('de.wikipedia.org', '/api/rest_v1/page/summary/Zwei?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/html/New/9?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/title/Old?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/summary/Pic_Page?redirect=false')
  await cp.request('en.wikipedia.org', '/api/rest_v1/page/mobile-sections/Pic_Page?redirect=false')

  // purge_varnish (two restbase resource_changes) and page_delete's list of seven land on resource-purge, and as HTCP
  const purges = await readMessages(topicOf('resource-purge', namingOf(cp.prefix)), 9, { timeoutMs: 30000 })
  const purgedUris = purges.map((m) => (JSON.parse(m.value) as { meta: { uri: string } }).meta.uri)
  assert.equal(purgedUris.length, 9)
  assert.ok(purgedUris.includes(`${en}/api/rest_v1/page/html/Main_Page`))
  assert.ok(purgedUris.includes('https://en.wiktionary.org/api/rest_v1/page/html/Word'))
  for (const path of ['html/Gone', 'html/Gone/8', 'summary/Gone', 'definition/Gone', 'mobile-sections/Gone', 'mobile-sections-lead/Gone', 'mobile-sections-remaining/Gone']) {
    assert.ok(purgedUris.includes(`${en}/api/rest_v1/page/${path}`), path)
  }
  assert.ok(htcp.urls.includes('http://en.wikipedia.org/api/rest_v1/page/html/Main_Page'), JSON.stringify(htcp.urls))
  assert.equal(await cp.metric('sluice_changeprop_purges_total', 'rule="page_delete",target="stream"'), 7)
  assert.equal(await cp.metric('sluice_changeprop_purges_total', 'rule="page_delete",target="htcp"'), 7)
  assert.equal(await cp.metric('sluice_changeprop_purges_total', 'rule="purge_varnish",target="stream"'), 2)
  const walked = mw.apiCalls.filter((c) => c.params.titles === 'Template:Box').map((c) => c.params.ticontinue ?? 'first')
  assert.deepEqual(walked, ['first', '0|2'], 'the transclusions were walked in two pages')
  assert.ok(!mw.sink.requests.some((r) => !isApi(r) && hostOf(r) === 'www.wikidata.org'), 'no RESTBase call for a Wikidata item')
})

test('the job-queue configuration: every rule loads unchanged and runs; refreshLinks jobs land on their partitions', async (t) => {
  const cp = await runFixture(t, 'config.jobqueue.wikimedia.yaml')
  const job = (type: string, fields: Record<string, unknown> = {}): Record<string, unknown> =>
    event(`mediawiki.job.${type}`, 'https://en.wikipedia.org/wiki/Special:Badtitle/JobSpecification', { type, database: 'enwiki', params: {}, ...fields })
  const beta = job('updateBetaFeaturesUserCounts')
  const html = job('htmlCacheUpdate')
  await cp.produce('mediawiki.job.updateBetaFeaturesUserCounts', [beta])
  await cp.produce('mediawiki.job.htmlCacheUpdate', [html])
  const refresh = ['zhwiki', 'enwiki', 'wikidatawiki', 'smallwiki'].map((database) => job('refreshLinks', { database }))
  await cp.produce('mediawiki.job.refreshLinks', refresh)

  const jobs = await cp.mw.sink.waitForRequests(6, { filter: (r) => hostOf(r) === 'jobrunner.wikipedia.org', timeoutMs: 30000 })
  assert.deepEqual([...new Set(jobs.map((r) => `${r.method} ${r.path} host=${String(r.headers.host)}`))], ['POST /wiki/Special:RunSingleJob host=en.wikipedia.org'])
  const bodies = jobs.map((r) => JSON.parse(r.body) as { meta: { id: string, stream: string } })
  assert.deepEqual(bodies.find((b) => b.meta.id === (beta.meta as { id: string }).id), beta, 'the job is posted as it is')
  assert.ok(bodies.some((b) => b.meta.id === (html.meta as { id: string }).id))
  for (const original of refresh) {
    const posted = bodies.find((b) => b.meta.id === (original.meta as { id: string }).id)
    assert.deepEqual(posted, { ...original, meta: { ...(original.meta as object), stream: 'mediawiki.job.refreshLinks_partitioned' } }, 'only meta.stream changes')
  }
  const partitioned = await readMessages(topicOf('mediawiki.job.refreshLinks_partitioned', namingOf(cp.prefix)), 4, { timeoutMs: 30000 })
  const partitionOf = Object.fromEntries(partitioned.map((m) => [(JSON.parse(m.value) as { database: string }).database, m.partition]))
  assert.deepEqual(partitionOf, { zhwiki: 1, enwiki: 0, wikidatawiki: 7, smallwiki: 2 }, 'partition_map, then partition_default')
  for (const partition of [0, 1, 2, 7]) assert.equal(await cp.metric('sluice_changeprop_partitioned_total', `rule="refreshLinks_partitioner",partition="${partition}"`), 1)
})

test('the test configuration: every rule loads unchanged and runs', async (t) => {
  const cp = await runFixture(t, 'config.test.yaml', {}, ['simple_test_rule', 'simple_test_rule2'])
  cp.mw.respond = (r) => (r.path === '/will_redirect' ? (res) => { res.writeHead(301, { location: `${cp.mw.origin}/redirected_resource` }).end() } : 200)
  const sample = 'https://en.wikipedia.org/wiki/SamplePage'
  const random = randomUUID()
  await cp.produce('simple_test_rule', [
    event('simple_test_rule', sample, { message: 'this_will_not_match' }),
    event('simple_test_rule', sample, { message: 'test', random }),
    event('simple_test_rule', sample, { message: 'redirect' })
  ])
  // simple_test_rule
  const simple = await cp.request('mock.com', '/')
  assert.deepEqual(JSON.parse(simple.body), { test_field_name: 'test_field_value', derived_field: 'test', random_field: random })
  assert.equal(simple.headers.test_header_name, 'test_header_value')
  assert.equal(simple.headers['user-agent'], 'ChangePropTestSuite')
  // redirect_testing_rule: the redirect is not followed
  await cp.request('mock.com', '/will_redirect')
  // array_rule, on both of its topics
  await cp.produce('simple_test_rule2', [event('simple_test_rule2', sample, { message: 'other' })])
  await cp.mw.sink.waitForRequests(4, { filter: (r) => hostOf(r) === 'mock2.org', timeoutMs: 30000 })
  // kafka_producing_rule: two events with the meta.topic of that time, consumed by simple_test_rule
  await cp.produce('kafka_producing_rule', [event('kafka_producing_rule', sample, { produce_to_topic: 'simple_test_rule' })])
  const posts = await cp.mw.sink.waitForRequests(3, { filter: (r) => hostOf(r) === 'mock.com' && r.path === '/', timeoutMs: 30000 })
  assert.ok(posts.slice(1).every((r) => (JSON.parse(r.body) as { derived_field: string }).derived_field === 'test'))
  // sample_testing_rule: one title in the 20% sample, one out of it (the reference's hash)
  const inSample = (title: string): boolean => murmur3(`en.wikipedia.org-${title}`) <= Math.round(0xffffffff * 0.2)
  const titles = Array.from({ length: 50 }, (_, i) => `Title_${i}`)
  const kept = titles.find(inSample) as string
  const left = titles.find((title) => !inSample(title)) as string
  await cp.produce('sample_test_rule', [left, kept].map((title) => event('sample_test_rule', sample, { message: 'sampled', page_title: title })))
  await cp.request('mock.com', `/en.wikipedia.org/${kept}`)
  assert.ok(!cp.mw.sink.requests.some((r) => r.path === '/redirected_resource'), 'redirects are not followed')
  assert.ok(!cp.mw.sink.requests.some((r) => r.path === `/en.wikipedia.org/${left}`), 'the title out of the sample is left out')
})
