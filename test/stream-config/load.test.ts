import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'undici'
import { checkStreamRegex, createStreamIndex, readStreamConfig, validateStreamConfig } from '../../src/stream-config/index.js'
import type { StreamSettings } from '../../src/stream-config/index.js'
import { mediawikiStreamConfigs } from '../helpers/mediawiki-api.js'

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-streams-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('a directory of YAML files is merged', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'a.yaml'), 'test.event:\n  schema_title: test/event\n')
  await writeFile(join(dir, 'b.yml'), "'/^x\\..+/':\n  schema_title: x\n  message_key_fields: {id: meta.id}\n")
  await writeFile(join(dir, 'ignored.txt'), 'not: yaml: at: all')
  const data = await readStreamConfig({ uri: dir, cwd: '/', dispatcher: new Agent(), timeoutMs: 1000 })
  assert.deepEqual(data, { 'test.event': { schema_title: 'test/event' }, '/^x\\..+/': { schema_title: 'x', message_key_fields: { id: 'meta.id' } } })
})

test('a stream declared in two files is an error naming both', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'a.yaml'), 's:\n  schema_title: a\n')
  await writeFile(join(dir, 'b.yaml'), 's:\n  schema_title: b\n')
  await assert.rejects(readStreamConfig({ uri: dir, cwd: '/', dispatcher: new Agent(), timeoutMs: 1000 }),
    (err: Error & { code?: string }) => err.code === 'SLUICE_ERR_STREAM_CONFIG_INVALID' && /a\.yaml/.test(err.message) && /b\.yaml/.test(err.message))
})

test('a single file, relative to cwd', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'conf'))
  await writeFile(join(dir, 'conf', 'streams.yaml'), 's:\n  schema_title: a\n')
  assert.deepEqual(await readStreamConfig({ uri: 'conf/streams.yaml', cwd: dir, dispatcher: new Agent(), timeoutMs: 1000 }), { s: { schema_title: 'a' } })
})

test('a missing file is SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', async () => {
  await assert.rejects(readStreamConfig({ uri: '/nonexistent/streams.yaml', cwd: '/', dispatcher: new Agent(), timeoutMs: 1000 }), { code: 'SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE' })
})

test('an http(s) URI is fetched; the EventStreamConfig envelope {streams} is unwrapped', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/api') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ streams: { 'test.event': { schema_title: 'test/event', destination_event_service: 'eventgate-main' } } }))
    } else if (req.url === '/error') {
      res.end(JSON.stringify({ error: { code: 'badparam' } }))
    } else {
      res.statusCode = 404
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dispatcher = new Agent()
  t.after(async () => { await dispatcher.close() })
  assert.deepEqual(await readStreamConfig({ uri: `${base}/api`, cwd: '/', dispatcher, timeoutMs: 1000 }),
    { 'test.event': { schema_title: 'test/event', destination_event_service: 'eventgate-main' } })
  await assert.rejects(readStreamConfig({ uri: `${base}/error`, cwd: '/', dispatcher, timeoutMs: 1000 }), { code: 'SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE' })
  await assert.rejects(readStreamConfig({ uri: `${base}/missing`, cwd: '/', dispatcher, timeoutMs: 1000 }), /HTTP 404/)
})

test('entries without settings or without schema_title do not invalidate the config (EventGate serves the others)', () => {
  const data = { good: { schema_title: 't' }, none: null, empty: [], untitled: { message_key_fields: { a: 'b' } } }
  // PHP's empty array is the empty map it stands for.
  assert.deepEqual(validateStreamConfig(data, 'x.yaml'), { ...data, empty: {} })
})

test('an entry with a schema_title is checked in full, naming the stream and setting', () => {
  assert.throws(() => validateStreamConfig({ s: { schema_title: 't', message_key_fields: ['a'] } }, 'x.yaml'),
    (err: Error & { code?: string }) => err.code === 'SLUICE_ERR_STREAM_CONFIG_INVALID' && /s\.message_key_fields/.test(err.message))
})

test('stream regexes that could backtrack catastrophically are refused', () => {
  assert.equal(checkStreamRegex('^mediawiki\\.job\\..+'), undefined)
  assert.match(checkStreamRegex('^(a+)+$') ?? '', /nested quantifiers/)
  assert.match(checkStreamRegex('(a)\\1') ?? '', /back-references/)
  assert.match(checkStreamRegex('([') ?? '', /not a valid regular expression/)
  assert.throws(() => validateStreamConfig({ '/(x+)+/': { schema_title: 't' } }, 'x.yaml'), { code: 'SLUICE_ERR_STREAM_CONFIG_INVALID' })
})

test('per-stream limits are checked, and a bad one names the stream and the setting', () => {
  const good = { s: { schema_title: 't', max_event_bytes: 1000, max_events_per_request: 10, rate_limit: { events_per_second: 0.5, burst: 5 } } }
  assert.deepEqual(validateStreamConfig(good, 'x.yaml'), good)
  for (const [bad, key] of [
    [{ max_event_bytes: 0 }, 's.max_event_bytes'],
    [{ max_events_per_request: 'many' }, 's.max_events_per_request'],
    [{ rate_limit: { events_per_second: 0, burst: 5 } }, 's.rate_limit.events_per_second'],
    [{ rate_limit: { events_per_second: 5 } }, 's.rate_limit'],
    [{ rate_limit: { events_per_second: 5, burst: 1.5 } }, 's.rate_limit.burst'],
    [{ dedupe_window_ms: 0 }, 's.dedupe_window_ms'],
    [{ dedupe_window_ms: 604800001 }, 's.dedupe_window_ms']
  ] as const) {
    assert.throws(() => validateStreamConfig({ s: { schema_title: 't', ...bad } }, 'x.yaml'),
      (err: Error & { code?: string }) => err.code === 'SLUICE_ERR_STREAM_CONFIG_INVALID' && err.message.includes(key), `${JSON.stringify(bad)} names ${key}`)
  }
})

test('MediaWiki\'s all_settings answer loads whole: legacy topic_prefixes: null, every EventStreamConfig setting, PHP\'s empty arrays', () => {
  const { streams } = mediawikiStreamConfigs()
  const data = validateStreamConfig(streams, 'api.php')
  assert.deepEqual(Object.keys(data), Object.keys(streams))
  const index = createStreamIndex(data)
  const settingsOf = (name: string): StreamSettings => {
    const match = index.lookup(name)
    assert.ok(match !== undefined && match.problem === undefined, name)
    return match.settings
  }
  // The settings parts of Sluice act on, typed as EventStreamConfig gives them.
  const legacy = settingsOf('eventlogging_TestLegacy')
  assert.equal(legacy.topic_prefixes, null)
  assert.deepEqual(legacy.topics, ['eventlogging_TestLegacy'])
  assert.equal(legacy.destination_event_service, 'eventgate-analytics-external')
  assert.equal(legacy.canary_events_enabled, true)
  assert.equal(settingsOf('keyed.page').canary_events_enabled, false)
  assert.deepEqual(settingsOf('keyed.page').message_key_fields, { wiki_id: 'wiki_id', page_id: 'page.page_id' })
  assert.deepEqual(settingsOf('test.event').sample, { unit: 'session', rate: 0.2 })
  assert.equal(settingsOf('mediawiki.job.refreshLinks').schema_title, 'mediawiki/job')
  // Served as they came, with PHP's `[]` read as the empty maps they stand for.
  const instrumentation = settingsOf('test.instrumentation')
  assert.deepEqual(instrumentation.sample, {})
  assert.deepEqual(instrumentation.producers, { eventgate: { enrich_fields_from_http_headers: {} }, metrics_platform_client: {} })
  assert.deepEqual(instrumentation.consumers, { analytics_hadoop_ingestion: {}, analytics_hive_ingestion: { enabled: false } })
  // A setting Sluice does not know could be a list as well as a map: left as it is.
  assert.deepEqual([instrumentation['other-setting'], instrumentation['true-setting'], instrumentation['false-setting']], [[], true, false])
  assert.deepEqual((streams['test.instrumentation'] as Record<string, unknown>).sample, [], 'the caller\'s object is left as it was')
  // Entries without settings or title refuse only their own events.
  assert.deepEqual(index.incomplete(), [{ key: 'development.unfinished', problem: 'no_settings' }, { key: 'development.untitled', problem: 'no_schema_title' }])
})

test('EventStreamConfig\'s settings are typed where Sluice acts on them: a wrong type names the stream and setting', () => {
  for (const [bad, key] of [
    [{ topic_prefixes: 'eqiad.' }, 's.topic_prefixes'],
    [{ canary_events_enabled: 'yes' }, 's.canary_events_enabled'],
    [{ destination_event_service: ['eventgate-main'] }, 's.destination_event_service'],
    [{ producers: { eventgate: 'on' } }, 's.producers.eventgate'],
    [{ consumers: ['x'] }, 's.consumers']
  ] as const) {
    assert.throws(() => validateStreamConfig({ s: { schema_title: 't', ...bad } }, 'x.yaml'),
      (err: Error & { code?: string }) => err.code === 'SLUICE_ERR_STREAM_CONFIG_INVALID' && err.message.includes(key), `${JSON.stringify(bad)} names ${key}`)
  }
  assert.doesNotThrow(() => validateStreamConfig({ s: { schema_title: 't', topic_prefixes: null, message_key_fields: [] } }, 'x.yaml'))
})
