import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import yaml from 'js-yaml'
import { Registry } from 'prom-client'
import { createChangeprop, loadChangepropConfig } from '../../src/changeprop/index.js'
import type { Changeprop, ChangepropConfig, ChangepropOverrides, RuleSpec } from '../../src/changeprop/index.js'
import { murmur3 } from '../../src/changeprop/rules/sample.js'
import { toRecord } from '../../src/gateway/pipeline/record.js'
import { createTopics } from '../../src/kafka/index.js'
import { committedOffsets, createTopic, groupMembers, produceMessages, readMessages, requireBrokers } from '../helpers/kafka.js'
import { testLogger } from '../helpers/logger.js'
import { waitFor } from '../helpers/wait.js'
import { startRedis } from '../helpers/redis.js'
import { seedRule } from './helpers/rules.js'
import { startSink } from './helpers/sink.js'
import { testChangepropOverrides } from './helpers/start.js'
import type { HttpSink } from './helpers/sink.js'

const logger = testLogger()

interface Running {
  changeprop: Changeprop
  config: Readonly<ChangepropConfig>
  prefix: string
  service: string
  registry: Registry
}

/** Settings that keep integration tests fast: short commits, heartbeats and retry delays. */
function testConfig (prefix: string, service: string, rules: Record<string, RuleSpec>, extra: ChangepropOverrides = {}): ChangepropOverrides {
  return testChangepropOverrides({ prefix, service }, rules, { retry_factor: 2, ...extra })
}

async function start (t: TestContext, rules: Record<string, RuleSpec>, extra: ChangepropOverrides = {}, names?: { prefix: string, service: string }): Promise<Running> {
  const prefix = names?.prefix ?? `t${randomUUID().slice(0, 8)}.`
  const service = names?.service ?? `cp${randomUUID().slice(0, 8)}`
  const config = await loadChangepropConfig(undefined, {}, testConfig(prefix, service, rules, extra))
  const registry = new Registry()
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger, registry })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()
  await waitFor('change propagation to be ready', () => changeprop.isReady())
  return { changeprop, config, prefix, service, registry }
}

async function committed (groupId: string, topic: string): Promise<string | undefined> {
  return (await committedOffsets(groupId, topic))[0]
}

async function sink (t: TestContext): Promise<HttpSink> {
  const server = await startSink()
  t.after(async () => { await server.close() })
  return server
}

function revisionCreate (title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: {
      stream: 'mediawiki.revision-create',
      uri: `https://en.wikipedia.org/wiki/${title}`,
      domain: 'en.wikipedia.org',
      dt: '2024-05-01T10:00:00Z',
      id: randomUUID(),
      request_id: randomUUID()
    },
    page_title: title,
    rev_id: 1234,
    rev_parent_id: 1233,
    ...extra
  }
}


async function send (topic: string, events: unknown[]): Promise<void> {
  await produceMessages(topic, events.map((event) => ({ value: typeof event === 'string' ? event : JSON.stringify(event) })))
}

test('the seed rule: every event reaches the endpoint, offsets are committed, admin endpoints answer', async (t) => {
  const http = await sink(t)
  const cp = await start(t, { page_edit: seedRule(http.origin) })
  const topic = `${cp.prefix}mediawiki.revision-create`
  await send(topic, ['Main_Page', 'User:Foo/Bar', 'Zürich'].map((title) => revisionCreate(title)))
  const requests = await http.waitForRequests(3)
  assert.deepEqual(requests.map((r) => r.path), [
    '/en.wikipedia.org/api/rest_v1/page/html/Main_Page/1234?redirect=false',
    '/en.wikipedia.org/api/rest_v1/page/html/User%3AFoo/Bar/1234?redirect=false',
    '/en.wikipedia.org/api/rest_v1/page/html/Z%C3%BCrich/1234?redirect=false'
  ])
  assert.equal(requests[0]?.headers['if-unmodified-since'], 'Wed, 01 May 2024 10:00:00 +0000')
  await waitFor('the commit of all 3 events', async () => await committed(`${cp.service}-page_edit`, topic) === '3')

  const base = `http://127.0.0.1:${String(cp.changeprop.port)}`
  const metrics = await (await fetch(`${base}/metrics`)).text()
  assert.match(metrics, /sluice_changeprop_events_total\{rule="page_edit",source="main",result="matched"\} 3/)
  assert.match(metrics, /sluice_changeprop_exec_duration_seconds_count\{rule="page_edit",status_class="2xx"\} 3/)
  assert.match(metrics, /sluice_changeprop_commit_lag_messages\{rule="page_edit",source="main",topic=".*mediawiki.revision-create",partition="0"\} 0/)
  assert.equal((await fetch(`${base}/healthz`)).status, 200)
  const ready = await fetch(`${base}/readyz`)
  assert.equal(ready.status, 200)
  assert.deepEqual(await ready.json(), { ready: true, checks: { running: true, consumers: true, kafka: true } })
})

test('retries follow retry_delay * retry_factor^n through the retry topic, then the error topic', async (t) => {
  const http = await sink(t)
  http.respond = () => 503
  const cp = await start(t, { page_edit: { ...seedRule(http.origin), retry_limit: 2, retry_delay: 300, retry_factor: 2 } })
  await send(`${cp.prefix}mediawiki.revision-create`, [revisionCreate('Retried')])
  const attempts = await http.waitForRequests(3)
  const [first, second, third] = attempts.map((r) => r.at)
  assert.ok(first !== undefined && second !== undefined && third !== undefined)
  assert.ok(second - first >= 290, `first retry after ${second - first} ms, expected 300`)
  assert.ok(third - second >= 590, `second retry after ${third - second} ms, expected 600`)
  assert.equal(attempts[2]?.headers['x-triggered-by']?.toString().split(',').length, 4, 'req, the event and two retry hops')

  const [error] = await readMessages(`${cp.prefix}${cp.service}.error`, 1)
  assert.ok(error)
  const event = JSON.parse(error.value) as Record<string, unknown>
  assert.equal(event.error_code, 'SLUICE_ERR_CHANGEPROP_RETRIES_EXHAUSTED')
  assert.equal((event.details as { status: number }).status, 503)
  const retries = await readMessages(`${cp.prefix}${cp.service}.retry.mediawiki.revision-create`, 2)
  assert.deepEqual(retries.map((r) => (JSON.parse(r.value) as { retries_left: number }).retries_left), [2, 1])
  // Once both retry events are committed, every attempt that could follow has been made:
  // there is no third retry event to cause a fourth.
  await waitFor('the retry topic to be committed', async () => await committed(`${cp.service}-page_edit-retry`, `${cp.prefix}${cp.service}.retry.mediawiki.revision-create`) === '2')
  assert.equal(http.requests.length, 3)
})

test('multi-stage: a produced resource_change reaches its dependants; loops are cut', async (t) => {
  const http = await sink(t)
  const htmlUri = '/^https?:\\/\\/[^\\/]+\\/api\\/rest_v1\\/page\\/html\\/(?<title>[^\\/]+)$/'
  const cp = await start(t, {
    page_edit: {
      topic: 'mediawiki.revision-create',
      exec: [
        { uri: `${http.origin}/html/{{message.page_title}}` },
        {
          method: 'post',
          uri: '/sys/queue/events',
          body: [{ $schema: '/resource_change/1.0.0', meta: { stream: 'resource_change', uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{message.page_title}' }, tags: ['restbase'] }]
        }
      ]
    },
    mobile: { topic: 'resource_change', match: { meta: { uri: htmlUri }, tags: ['restbase'] }, exec: { uri: `${http.origin}/mobile/{{match.meta.uri.title}}` } },
    summary: { topic: 'resource_change', match: { meta: { uri: htmlUri } }, exec: { uri: `${http.origin}/summary/{{match.meta.uri.title}}` } },
    // Re-announces every resource_change: without loop protection this would never stop.
    echo: { topic: 'resource_change', exec: { method: 'post', uri: '/sys/queue/events', body: { meta: { stream: 'resource_change', uri: '{{message.meta.uri}}' }, tags: ['echo'] } } }
  })
  const event = revisionCreate('Some_Page')
  await send(`${cp.prefix}mediawiki.revision-create`, [event])
  const requests = await http.waitForRequests(3)
  assert.deepEqual(requests.map((r) => r.path).sort(), ['/html/Some_Page', '/mobile/Some_Page', '/summary/Some_Page'])
  const mobile = requests.find((r) => r.path.startsWith('/mobile'))
  const meta = event.meta as { request_id: string }
  assert.equal(mobile?.headers['x-triggered-by'],
    `req:${meta.request_id},mediawiki.revision-create:https://en.wikipedia.org/wiki/Some_Page,resource_change:https://en.wikipedia.org/api/rest_v1/page/html/Some_Page`)
  await waitFor('the loop to be cut', async () => (await cp.registry.getSingleMetricAsString('sluice_changeprop_loops_prevented_total')).includes('rule="echo"} 1'))
  const produced = await readMessages(`${cp.prefix}resource_change`, 1)
  const resourceChange = JSON.parse(produced[0]?.value ?? '{}') as Record<string, unknown>
  assert.deepEqual(resourceChange.root_event, { signature: 'https://en.wikipedia.org/wiki/Some_Page', dt: '2024-05-01T10:00:00Z' })
  await waitFor('all resource_change consumers to commit', async () => {
    const offsets = await Promise.all(['mobile', 'summary', 'echo'].map(async (rule) => committed(`${cp.service}-${rule}`, `${cp.prefix}resource_change`)))
    return offsets.every((offset) => offset === '1')
  })
  assert.equal(http.requests.length, 3, 'nothing ran twice')
})

test('a rule on an eventlogging_ stream reads the unprefixed topic the gateway writes, and retries through the prefixed retry topic', async (t) => {
  const http = await sink(t)
  http.respond = (_request, index) => index === 0 ? 503 : 200
  const stream = `eventlogging_Foo${randomUUID().slice(0, 8)}`
  const cp = await start(t, { legacy: { topic: stream, exec: { uri: `${http.origin}/legacy/{{message.page_title}}` } } })
  const event = revisionCreate('Legacy', { meta: { ...revisionCreate('Legacy').meta as object, stream } })
  // The record exactly as the gateway writes it, under the same topic prefix.
  const record = toRecord(event, stream, undefined, { topicPrefix: cp.prefix, dtField: 'meta.dt', maxMessageBytes: 1024 * 1024 })
  assert.equal(record.topic, stream, 'the gateway does not prefix eventlogging_ streams')
  await produceMessages(record.topic, [{ value: record.value }])
  const requests = await http.waitForRequests(2)
  assert.deepEqual(requests.map((r) => r.path), ['/legacy/Legacy', '/legacy/Legacy'])
  await waitFor('the unprefixed topic to be committed', async () => await committed(`${cp.service}-legacy`, stream) === '1')
  await waitFor('the retry topic to be committed', async () => await committed(`${cp.service}-legacy-retry`, `${cp.prefix}${cp.service}.retry.${stream}`) === '1')
})

test('retry and error events Kafka refuses as too large become bounded error events, and the partition commits past them', async (t) => {
  const http = await sink(t)
  http.respond = (request) => request.path === '/Big_retry' ? 503 : request.path === '/Big_error' ? 400 : 200
  const prefix = `t${randomUUID().slice(0, 8)}.`
  const service = `cp${randomUUID().slice(0, 8)}`
  const errorTopic = `${prefix}${service}.error`
  // Topics that take at most 4 KiB per record; the events below take about 6 KiB.
  const small = { 'max.message.bytes': '4096' }
  await createTopics(requireBrokers(), [
    { name: `${prefix}${service}.retry.mediawiki.revision-create`, partitions: 1, config: small },
    { name: errorTopic, partitions: 1, config: small }
  ])
  const cp = await start(t, { page_edit: { topic: 'mediawiki.revision-create', exec: { uri: `${http.origin}/{{message.page_title}}` } } },
    { bounded_raw_event_max_bytes: 1024 }, { prefix, service })
  const topic = `${prefix}mediawiki.revision-create`
  const padding = 'é'.repeat(3000)
  await send(topic, [revisionCreate('Big_retry', { padding }), revisionCreate('Big_error', { padding }), revisionCreate('After')])
  await http.waitForRequests(1, { filter: (r) => r.path === '/After' })
  await waitFor('the commit past both refused events', async () => await committed(`${cp.service}-page_edit`, topic) === '3')

  const errors = (await readMessages(errorTopic, 2)).map((m) => JSON.parse(m.value) as Record<string, unknown>)
  const schema = JSON.parse(await readFile(new URL('../../schemas/error/0.0.3.json', import.meta.url), 'utf8')) as Record<string, unknown>
  delete schema.$schema
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats.default(ajv)
  const validate = ajv.compile(schema)
  for (const error of errors) {
    assert.ok(validate(error), JSON.stringify(validate.errors))
    assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_PRODUCE_REFUSED')
    assert.match(error.message as string, /MESSAGE_TOO_LARGE/)
    assert.match(error.message as string, /\[raw_event truncated: first 10\d\d of \d{4} bytes\]$/)
    assert.ok(Buffer.byteLength(error.raw_event as string) <= 1024)
  }
  assert.deepEqual(errors.map((e) => (e.message as string).slice(0, 33)), ['Kafka refused the retry event for', 'Kafka refused the error event for'])
  assert.ok((errors[0]?.raw_event as string).includes('Big_retry'))
  const refused = await cp.registry.getSingleMetricAsString('sluice_changeprop_produce_refused_total')
  assert.match(refused, /rule="page_edit",kind="retry",outcome="error_event"} 1/)
  assert.match(refused, /rule="page_edit",kind="error",outcome="error_event"} 1/)
})

test('a stuck event: its rule\'s commit lag and oldest-unfinished age keep moving on /metrics while nothing is fetched', async (t) => {
  const http = await sink(t)
  // The endpoint never answers: the rule's only slot stays taken.
  http.respond = () => () => undefined
  const cp = await start(t, { page_edit: { ...seedRule(http.origin), concurrency: 1 } }, { kafka: { progress_interval_ms: 100 } })
  const topic = `${cp.prefix}mediawiki.revision-create`
  await send(topic, [revisionCreate('Stuck')])
  await http.waitForRequests(1)
  await send(topic, [revisionCreate('Behind_1'), revisionCreate('Behind_2'), revisionCreate('Behind_3')])
  const gauge = async (name: string): Promise<number> => {
    const text = await cp.registry.getSingleMetricAsString(name)
    return Number(text.match(/rule="page_edit",source="main",topic="[^"]+",partition="0"} ([\d.e+-]+)/)?.[1] ?? Number.NaN)
  }
  await waitFor('the lag to count the events behind the stuck one', async () => await gauge('sluice_changeprop_commit_lag_messages') === 4)
  const age = await gauge('sluice_changeprop_oldest_unfinished_seconds')
  await waitFor('the age of the stuck event to grow', async () => await gauge('sluice_changeprop_oldest_unfinished_seconds') >= age + 0.2)
  assert.equal(http.requests.length, 1, 'still stuck on the first event')
})

test('malformed messages go to the error topic and are committed', async (t) => {
  const http = await sink(t)
  const cp = await start(t, { page_edit: seedRule(http.origin) })
  const topic = `${cp.prefix}mediawiki.revision-create`
  await send(topic, ['not json', '{"no":"meta"}', revisionCreate('After')])
  await http.waitForRequests(1)
  const errors = await readMessages(`${cp.prefix}${cp.service}.error`, 2)
  assert.deepEqual(errors.map((e) => (JSON.parse(e.value) as { raw_event: string }).raw_event), ['not json', '{"no":"meta"}'])
  await waitFor('the commit past the malformed messages', async () => await committed(`${cp.service}-page_edit`, topic) === '3')
})

test('rule keys end to end: regex topics, exclusions, cases, ignore, sample, limiters, concurrency', async (t) => {
  const http = await sink(t)
  http.respond = (request) => request.path.startsWith('/conflict') ? 409 : request.path.startsWith('/broken') ? 500 : 200
  const prefix = `t${randomUUID().slice(0, 8)}.`
  // Regex topics are resolved against the broker's topics at startup, so they must exist first.
  for (const name of ['evt.a', 'evt.b', 'evt.c']) await createTopic(`${prefix}${name}`)
  const inSample = (title: string): boolean => murmur3(`en.wikipedia.org-${title}`) <= Math.round(0xffffffff * 0.5)
  const titles = Array.from({ length: 40 }, (_, i) => `Page_${i}`)
  const sampled = titles.filter(inSample)
  const cp = await start(t, {
    everything: {
      topics: ['/^evt\\.[a-z]$/'],
      exclude_topics: ['evt.c'],
      concurrency: 4,
      ignore: { status: [409] },
      retry_limit: 0,
      sample: { rate: 0.5, hash_template: '{{message.meta.domain}}-{{message.page_title}}' },
      limiters: { budget: 'page:{message.page_title}' },
      cases: [
        { match: { kind: 'conflict' }, exec: [{ uri: `${http.origin}/conflict/{{message.page_title}}` }, { uri: `${http.origin}/after-conflict/{{message.page_title}}` }] },
        { match: { kind: 'broken' }, exec: { uri: `${http.origin}/broken/{{message.page_title}}` } },
        { match: { meta: { uri: '/\\/wiki\\/(?<title>.+)$/' } }, match_not: { page_title: 'Page_0' }, exec: { method: 'post', uri: `${http.origin}/plain/{{match.meta.uri.title}}`, headers: { 'content-type': 'application/json' }, body: { stream: '{{message.meta.stream}}' } } }
      ]
    }
  }, { limiters: { budget: { interval_ms: 60000, limit: 1 } } }, { prefix, service: `cp${randomUUID().slice(0, 8)}` })

  const conflict = sampled[1] as string
  const broken = sampled[2] as string
  const evtB = `${cp.service}-everything`
  await send(`${prefix}evt.b`, [revisionCreate(conflict, { kind: 'conflict' }), revisionCreate(broken, { kind: 'broken' })])
  await waitFor('the first two events of evt.b', async () => await committed(evtB, `${prefix}evt.b`) === '2')
  // The key has used its budget (1 failure): later events for the same page are skipped, whatever their case.
  await send(`${prefix}evt.b`, [revisionCreate(broken, { kind: 'broken' }), revisionCreate(broken, { kind: 'plain' })])
  await waitFor('the last two events of evt.b', async () => await committed(evtB, `${prefix}evt.b`) === '4')
  const plainTitles = titles.filter((title) => title !== broken)
  await send(`${prefix}evt.a`, plainTitles.map((title) => revisionCreate(title)))
  await send(`${prefix}evt.c`, plainTitles.map((title) => revisionCreate(title)))

  const plainExpected = sampled.filter((title) => title !== 'Page_0' && title !== broken).map((title) => `/plain/${title}`).sort()
  await http.waitForRequests(plainExpected.length, { filter: (r) => r.path.startsWith('/plain/') })
  await waitFor('evt.a to be committed', async () => await committed(evtB, `${prefix}evt.a`) === String(plainTitles.length))
  const paths = http.requests.map((r) => r.path)
  assert.deepEqual(paths.filter((p) => p.startsWith('/plain/')).sort(), plainExpected, 'evt.c is excluded, only the sample runs, Page_0 is matched out')
  assert.ok(paths.includes(`/after-conflict/${conflict}`), 'an ignored 409 lets the next step run')
  assert.equal(paths.filter((p) => p === `/broken/${broken}`).length, 1, 'the failure budget of the key (1) stops the second event')
  assert.ok(!paths.some((p) => p === `/plain/${broken}`), 'the limiter key is per page, across cases')
  assert.equal((await cp.registry.getSingleMetricAsString('sluice_changeprop_events_total')).match(/result="rate_limited"} (\d+)/)?.[1], '2')
  assert.equal(http.requests.find((r) => r.path.startsWith('/plain/'))?.body.startsWith('{"stream":"mediawiki.revision-create"}'), true)
})

test('regex rules pick up topics that appear later, reading them from their first event', async (t) => {
  const http = await sink(t)
  const prefix = `t${randomUUID().slice(0, 8)}.`
  await createTopic(`${prefix}job.a`)
  const cp = await start(t, {
    jobs: { topic: '/^job\\./', exec: { uri: `${http.origin}/{{message.meta.stream}}/{{message.page_title}}` } }
  }, { kafka: { from_beginning: false, topic_refresh_interval_ms: 0 } }, { prefix, service: `cp${randomUUID().slice(0, 8)}` })
  const group = `${cp.service}-jobs`
  await send(`${prefix}job.a`, [revisionCreate('A1', { meta: { ...revisionCreate('A1').meta as object, stream: 'job.a' } })])
  await http.waitForRequests(1)
  await waitFor('job.a to be committed', async () => await committed(group, `${prefix}job.a`) === '1')

  // Written before the rule knows the topic: a group that starts at the end would never see it.
  await createTopic(`${prefix}job.b`)
  await send(`${prefix}job.b`, [revisionCreate('B1', { meta: { ...revisionCreate('B1').meta as object, stream: 'job.b' } })])
  await cp.changeprop.refreshTopics()
  await http.waitForRequests(1, { filter: (r) => r.path === '/job.b/B1' })
  await send(`${prefix}job.a`, [revisionCreate('A2', { meta: { ...revisionCreate('A2').meta as object, stream: 'job.a' } })])
  await http.waitForRequests(1, { filter: (r) => r.path === '/job.a/A2' })
  assert.deepEqual(http.requests.map((r) => r.path).sort(), ['/job.a/A1', '/job.a/A2', '/job.b/B1'], 'nothing ran twice across the resubscription')
  await waitFor('job.b to be committed', async () => await committed(group, `${prefix}job.b`) === '1')
  // A resubscription closes the rule's consumer and joins a new one, under a new member id.
  const members = await groupMembers(group)
  assert.equal(members.length, 1)
  await cp.changeprop.refreshTopics()
  assert.deepEqual(await groupMembers(group), members, 'a refresh with nothing new changes nothing')
})

test('a regex rule that matches no topic yet starts when one appears (periodic refresh)', async (t) => {
  const http = await sink(t)
  const cp = await start(t, {
    later: { topic: '/^late\\.[a-z]+$/', exec: { uri: `${http.origin}/{{message.page_title}}` } }
  }, { kafka: { topic_refresh_interval_ms: 100 } })
  await createTopic(`${cp.prefix}late.x`)
  await send(`${cp.prefix}late.x`, [revisionCreate('First')])
  await http.waitForRequests(1, { filter: (r) => r.path === '/First' })
  await waitFor('the new topic to be committed', async () => await committed(`${cp.service}-later`, `${cp.prefix}late.x`) === '1')
})

test('dedupe through Redis: an event id runs once, across instances', async (t) => {
  const redis = await startRedis()
  t.after(async () => { await redis.stop() })
  const http = await sink(t)
  const names = { prefix: `t${randomUUID().slice(0, 8)}.`, service: `cp${randomUUID().slice(0, 8)}` }
  // Concurrency 1: two copies of one event in flight at the same moment may both run (see docs).
  const cp = await start(t, { page_edit: { ...seedRule(http.origin), concurrency: 1 } }, { redis: { url: redis.url } }, names)
  const event = revisionCreate('Once')
  await send(`${cp.prefix}mediawiki.revision-create`, [event, event, revisionCreate('Other')])
  await http.waitForRequests(2)
  await waitFor('the commit of all 3 events', async () => await committed(`${cp.service}-page_edit`, `${cp.prefix}mediawiki.revision-create`) === '3')
  assert.deepEqual(http.requests.map((r) => r.path.split('/')[6]), ['Once', 'Other'])
  await cp.changeprop.close()

  // Another instance (a new group reading from the beginning) shares the Redis state.
  const again = await start(t, { page_edit_again: { ...seedRule(http.origin), concurrency: 1 } }, { redis: { url: redis.url } }, names)
  await send(`${again.prefix}mediawiki.revision-create`, [revisionCreate('Third')])
  await http.waitForRequests(3)
  await waitFor('the new group to commit', async () => await committed(`${again.service}-page_edit_again`, `${again.prefix}mediawiki.revision-create`) === '4')
  assert.equal(http.requests.length, 5, 'the new rule has its own namespace: Once, Other (deduped once) and Third')
})

test('a consumer killed mid-flight re-executes every unfinished event after restart', async (t) => {
  const http = await sink(t)
  // Slow answers keep several events in flight when the process dies.
  http.respond = () => (res) => { setTimeout(() => res.writeHead(200).end(), 100) }
  const prefix = `t${randomUUID().slice(0, 8)}.`
  const service = `cp${randomUUID().slice(0, 8)}`
  const dir = await mkdtemp(join(tmpdir(), 'sluice-crash-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  await writeFile(file, yaml.dump(testConfig(prefix, service, { page_edit: { ...seedRule(http.origin), concurrency: 3 } }, { dedupe: { enabled: false } })))
  const topic = `${prefix}mediawiki.revision-create`
  await createTopic(topic)
  const titles = Array.from({ length: 30 }, (_, i) => `Crash_${i}`)
  await send(topic, titles.map((title) => revisionCreate(title)))

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helpers/changeprop-child.ts', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await http.waitForRequests(8, { timeoutMs: 60000 })
  child.kill('SIGKILL')
  await once(child, 'exit')
  const beforeRestart = new Set(http.requests.map((r) => r.path.split('/')[6]))
  assert.ok(beforeRestart.size < titles.length, 'the kill happened mid-flight')

  const cp = await start(t, { page_edit: { ...seedRule(http.origin), concurrency: 3 } }, { dedupe: { enabled: false } }, { prefix, service })
  await waitFor('every event to be committed', async () => await committed(`${cp.service}-page_edit`, topic) === String(titles.length), 60000)
  const executed = new Set(http.requests.map((r) => r.path.split('/')[6]))
  assert.deepEqual([...executed].sort(), [...titles].sort(), 'every event reached the endpoint at least once')
})

// The takeover bound documented in docs/changeprop.md ("Failover after a crash") for the
// default kafka.session_timeout_ms and kafka.heartbeat_interval_ms.
const documentedTakeoverMs = 12000

test('after a SIGKILL, another member processes the dead member\'s partition within the documented bound (default session settings)', async (t) => {
  const http = await sink(t)
  const prefix = `t${randomUUID().slice(0, 8)}.`
  const service = `cp${randomUUID().slice(0, 8)}`
  const topic = `${prefix}mediawiki.revision-create`
  await createTopic(topic, 2)
  const rules = { page_edit: { topic: 'mediawiki.revision-create', exec: { uri: `${http.origin}/{{message.page_title}}` } } }
  // Both members run with the default session timeout and heartbeat interval: those are what the bound is about.
  const defaults = (overrides: ChangepropOverrides): ChangepropOverrides => {
    const kafka = { ...overrides.kafka }
    delete kafka.session_timeout_ms
    delete kafka.heartbeat_interval_ms
    return { ...overrides, kafka }
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-takeover-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  await writeFile(file, yaml.dump(defaults(testConfig(prefix, service, rules, { user_agent: 'member-killed', dedupe: { enabled: false } }))))
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helpers/changeprop-child.ts', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await once(child.stdout, 'data')
  const survivor = await start(t, rules, defaults({ user_agent: 'member-survivor', dedupe: { enabled: false } }), { prefix, service })

  // Probes on both partitions until each member owns one (the group has settled).
  let killedOwns: number | undefined
  for (let round = 0; killedOwns === undefined; round++) {
    if (round > 40) throw new Error('the two members never split the partitions')
    const probes = [0, 1].map((partition) => `probe-${round}-${partition}`)
    await produceMessages(topic, probes.map((title, partition) => ({ value: JSON.stringify(revisionCreate(title)), partition })))
    await http.waitForRequests(2, { filter: (r) => probes.includes(r.path.slice(1)), timeoutMs: 60000 })
    const agents = probes.map((title) => http.requests.find((r) => r.path === `/${title}`)?.headers['user-agent'])
    if (agents[0] !== agents[1]) killedOwns = agents.indexOf('member-killed')
  }

  const killedAt = Date.now()
  child.kill('SIGKILL')
  await produceMessages(topic, [{ value: JSON.stringify(revisionCreate('after-kill')), partition: killedOwns }])
  const [takeover] = await http.waitForRequests(1, { filter: (r) => r.path === '/after-kill', timeoutMs: 90000 })
  const takeoverMs = (takeover?.at ?? Number.NaN) - killedAt
  t.diagnostic(`takeover after SIGKILL: ${takeoverMs} ms`)
  assert.equal(takeover?.headers['user-agent'], 'member-survivor')
  assert.ok(takeoverMs <= documentedTakeoverMs, `the survivor took over after ${takeoverMs} ms, more than the documented ${documentedTakeoverMs} ms`)
  await survivor.changeprop.close()
})
