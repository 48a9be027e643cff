import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import yaml from 'js-yaml'
import { fetchTopicOffsets } from '../../../src/kafka/index.js'
import type { RuleSpec } from '../../../src/changeprop/index.js'
import { linksStreamOf, namingOf, retryTopicOf, topicOf } from '../../../src/stream-config/index.js'
import { committedOffsets, createTopic, produceMessages, requireBrokers } from '../../helpers/kafka.js'
import { waitFor } from '../../helpers/wait.js'
import { startChangeprop, testChangepropOverrides, testNames } from '../helpers/start.js'
import { hostOf, isApi, startMediawiki } from '../helpers/mediawiki.js'
import type { MediawikiServer } from '../helpers/mediawiki.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const transcludes = linksStreamOf('transcludes')

/** The walking half: a template edit asks for its transclusions, each continuation for the next page. */
const walkRules: Record<string, RuleSpec> = {
  transclusion_update: {
    topic: 'mediawiki.revision-create',
    exec: { method: 'post', uri: '/sys/links/transcludes/{message.page_title}', body: '{{globals.message}}' }
  },
  transclusion_continue: {
    topic: transcludes,
    match: { meta: { schema_uri: 'continue/1' } },
    exec: { method: 'post', uri: '/sys/links/transcludes/{message.original_event.page_title}', body: '{{globals.message}}' }
  }
}

/** The re-rendering half: each dependant's HTML, as the reference's on_transclusion_update. */
const renderRules: Record<string, RuleSpec> = {
  on_transclusion_update: {
    topic: transcludes,
    concurrency: 50,
    match: { meta: { schema_uri: 'resource_change/1', uri: '/https?:\\/\\/[^\\/]+\\/wiki\\/(?<title>.+)/' }, tags: ['transcludes'] },
    exec: {
      uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{match.meta.uri.title}}',
      headers: { 'if-unmodified-since': '{{date(message.root_event.dt)}}', 'x-restbase-mode': '{{message.tags[1]}}' }
    }
  }
}

function templateEdit (title: string, domain = 'en.wikipedia.org'): Record<string, unknown> {
  return {
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: { stream: 'mediawiki.revision-create', uri: `https://${domain}/wiki/${title}`, id: randomUUID(), dt: '2024-02-20T19:31:13Z', domain, request_id: randomUUID() },
    page_title: title,
    page_namespace: 10,
    rev_id: 1234,
    rev_parent_id: 1233
  }
}

async function mediawiki (t: TestContext): Promise<MediawikiServer> {
  const server = await startMediawiki()
  t.after(async () => { await server.sink.close() })
  return server
}

/** Starts `sluice changeprop --config FILE` as a child process, as an operator would run it. */
function sluiceChangeprop (t: TestContext, file: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/bin/sluice.ts'), 'changeprop', '--config', file], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: requireBrokers().join(',') },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return child
}

/** Resolves once `group` has consumed `topic` to its end. */
async function drained (group: string, topic: string): Promise<void> {
  await waitFor(`${group} to consume ${topic} to its end`, async () => {
    const [end] = await fetchTopicOffsets(requireBrokers(), topic)
    const committed = await committedOffsets(group, topic)
    return end !== undefined && committed[0] === end.high
  }, 60000, 200)
}

test('a template edit fans out to 1,200 dependants across 3 continuation pages, each re-rendered once, through a SIGKILL of the walking sluice changeprop', async (t) => {
  const mw = await mediawiki(t)
  const titles = Array.from({ length: 1200 }, (_, i) => `Dependant_${String(i).padStart(4, '0')}`)
  mw.dependants.set('en.wikipedia.org|Template:Infobox', titles)
  let killAt: (() => void) | undefined
  const thirdPage = new Promise<void>((resolve) => { killAt = resolve })
  // The walker is killed while it waits for the third page. It commits nothing in the
  // meantime (a long commit interval), so the first two pages, whose dependants are already
  // in Kafka, are walked again after the restart: their events come twice, with the same ids.
  mw.onApi = (call) => {
    if (call.params.ticontinue === '0|1000' && killAt !== undefined) {
      killAt()
      killAt = undefined
      return 'hold'
    }
    return undefined
  }

  const names = testNames()
  const dir = await mkdtemp(join(tmpdir(), 'sluice-fanout-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  const overrides = testChangepropOverrides(names, walkRules, { exec_origin_override: mw.origin, log_level: 'warn' })
  await writeFile(file, yaml.dump({ ...overrides, kafka: { ...overrides.kafka, session_timeout_ms: 6000, commit_interval_ms: 600000 } }))
  const source = topicOf('mediawiki.revision-create', namingOf(names.prefix))
  await createTopic(source)
  await createTopic(topicOf(transcludes, namingOf(names.prefix)))
  await produceMessages(source, [{ value: JSON.stringify(templateEdit('Template:Infobox')) }])

  const renderer = await startChangeprop(t, renderRules, { exec_origin_override: mw.origin }, names)
  const walker = sluiceChangeprop(t, file)
  await thirdPage
  walker.kill('SIGKILL')
  await once(walker, 'exit')
  const rendersAtKill = mw.renders().length
  assert.ok(rendersAtKill < titles.length, 'the walker died before every dependant was known')

  sluiceChangeprop(t, file)
  const html = (): string[] => mw.renders().filter((r) => r.path.startsWith('/api/rest_v1/page/html/')).map((r) => r.path.slice('/api/rest_v1/page/html/'.length))
  await waitFor('every dependant to be re-rendered', () => new Set(html()).size === titles.length, 90000, 100)
  await drained(`${renderer.service}-on_transclusion_update`, topicOf(transcludes, namingOf(names.prefix)))

  const rendered = html()
  assert.deepEqual([...new Set(rendered)].sort(), titles, 'nothing lost')
  assert.equal(rendered.length, titles.length, 'each dependant re-rendered once')
  const pages = mw.apiCalls.map((call) => call.params.ticontinue ?? 'first')
  assert.deepEqual([...new Set(pages)], ['first', '0|500', '0|1000'], 'three pages of 500, 500 and 200')
  assert.ok(pages.filter((p) => p === 'first').length >= 2 && pages.filter((p) => p === '0|500').length >= 2, 'the first two pages were walked again after the restart')
  const first = mw.renders().find((r) => r.path === '/api/rest_v1/page/html/Dependant_0000')
  assert.equal(first?.headers['x-restbase-mode'], 'templates')
  assert.equal(first?.headers['if-unmodified-since'], 'Tue, 20 Feb 2024 19:31:13 +0000', 'the root event\'s time')
  assert.equal(hostOf(first ?? mw.renders()[0] as never), 'en.wikipedia.org')
})

test('a failing MediaWiki API call is retried through the retry topic like any exec, and the walk completes', async (t) => {
  const mw = await mediawiki(t)
  mw.dependants.set('en.wikipedia.org|Template:Flaky', ['A', 'B', 'C'])
  mw.onApi = (_call, index) => (index === 0 ? 503 : undefined)
  const names = testNames()
  const running = await startChangeprop(t, { ...walkRules, ...renderRules }, { exec_origin_override: mw.origin, mediawiki_api: { limit: 2 } }, names)
  await produceMessages(topicOf('mediawiki.revision-create', namingOf(names.prefix)), [{ value: JSON.stringify(templateEdit('Template:Flaky')) }])
  await mw.sink.waitForRequests(3, { filter: (r) => r.path.startsWith('/api/rest_v1/page/html/'), timeoutMs: 30000 })
  assert.equal(mw.apiCalls[0]?.params.tilimit, '2')
  assert.deepEqual(mw.apiCalls.map((c) => c.params.ticontinue ?? 'first'), ['first', 'first', '0|2'], 'the failed first page was asked for again, then the second')
  const [retries] = await fetchTopicOffsets(requireBrokers(), retryTopicOf(names.service, 'mediawiki.revision-create', namingOf(names.prefix)))
  assert.equal(retries?.high, '1', 'one retry event carried the failed call')
  const metrics = await (await fetch(`${running.admin}/metrics`)).text()
  // Labels in any order, with the service label the registry adds.
  const value = (name: string, labels: string): number => {
    const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)))
    return Number(line?.split(' ').pop() ?? Number.NaN)
  }
  const api = 'sluice_changeprop_mediawiki_api_requests_total'
  assert.equal(value(api, 'rule="transclusion_update",module="transcludes",outcome="http_error"'), 1)
  assert.equal(value(api, 'rule="transclusion_update",module="transcludes",outcome="ok"'), 1)
  assert.equal(value(api, 'rule="transclusion_continue",module="transcludes",outcome="ok"'), 1)
  const dependants = 'sluice_changeprop_dependants_total'
  assert.equal(value(dependants, 'rule="transclusion_update"') + value(dependants, 'rule="transclusion_continue"'), 3)
  assert.equal(value('sluice_changeprop_continuations_total', 'rule="transclusion_update"'), 1)
  assert.equal(value('sluice_changeprop_continuation_depth_count', 'rule="transclusion_continue"'), 1)
  assert.equal(value('sluice_changeprop_continuation_depth_sum', 'rule="transclusion_continue"'), 1, 'the second page is one continuation deep')
})

test('the MediaWiki API endpoint, headers and page size are configured per wiki', async (t) => {
  const mw = await mediawiki(t)
  mw.dependants.set('de.wikipedia.org|Vorlage:Info', ['X', 'Y', 'Z'])
  mw.dependants.set('en.wikipedia.org|Template:Info', ['P'])
  const names = testNames()
  await startChangeprop(t, { ...walkRules, ...renderRules }, {
    exec_origin_override: mw.origin,
    mediawiki_api: {
      headers: { 'x-api-user': 'everyone' },
      domains: { 'de.wikipedia.org': { uri: 'https://de.wikipedia.org/api-de/api.php', headers: { 'x-api-user': 'de-only' }, limit: 1 } }
    }
  }, names)
  await produceMessages(topicOf('mediawiki.revision-create', namingOf(names.prefix)), [
    { value: JSON.stringify(templateEdit('Vorlage:Info', 'de.wikipedia.org')) },
    { value: JSON.stringify(templateEdit('Template:Info')) }
  ])
  await mw.sink.waitForRequests(4, { filter: (r) => r.path.startsWith('/api/rest_v1/page/html/'), timeoutMs: 30000 })
  const api = mw.sink.requests.filter(isApi)
  const de = api.filter((r) => hostOf(r) === 'de.wikipedia.org')
  const en = api.filter((r) => hostOf(r) === 'en.wikipedia.org')
  assert.ok(de.every((r) => r.path === '/api-de/api.php') && en.every((r) => r.path === '/w/api.php'), 'each wiki\'s endpoint')
  assert.equal(de.length, 3, 'one page of one title per call: three calls')
  assert.ok(de.every((r) => r.headers['x-api-user'] === 'de-only' && r.body.includes('tilimit=1')))
  assert.equal(en.length, 1)
  assert.equal(en[0]?.headers['x-api-user'], 'everyone')
  assert.match(en[0]?.body ?? '', /tilimit=500/)
  assert.match(en[0]?.body ?? '', /formatversion=2/)
})
