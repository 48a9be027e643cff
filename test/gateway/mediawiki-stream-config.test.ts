import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { buildTestGateway, createCapturingProducer } from '../helpers/gateway.js'
import type { CapturingProducer } from '../helpers/gateway.js'
import { startMediawikiApi } from '../helpers/mediawiki-api.js'
import type { MediawikiApi } from '../helpers/mediawiki-api.js'

// The gateway on Wikimedia's real stream config: MediaWiki's EventStreamConfig API (a local
// server shaped like it, on an internal endpoint that needs the wiki's Host header).

const dt = '2026-02-03T04:05:06Z'
const testEvent = (stream: string): Record<string, unknown> => ({ $schema: '/test/event/1.0.0', meta: { stream, dt } })

async function gatewayOnApi (t: TestContext, config: Record<string, unknown> = {}): Promise<{ api: MediawikiApi, producer: CapturingProducer, post: (events: unknown) => Promise<{ statusCode: number, body: string }> }> {
  const api = await startMediawikiApi()
  t.after(() => api.close())
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, {
    producer,
    config: { stream_config_uri: api.url, stream_config_uri_options: { headers: { Host: 'meta.wikimedia.org' } }, topic_prefix: 'eqiad.', ...config }
  })
  return { api, producer, post: async (events) => app.inject({ method: 'POST', url: '/v1/events', payload: events as object }) }
}

test('MediaWiki\'s stream config with legacy topic_prefixes: null loads, and each kind of stream is produced as EventGate does', async (t) => {
  const { producer, post } = await gatewayOnApi(t)
  const legacy = { $schema: '/analytics/legacy/testlegacy/1.0.0', meta: { stream: 'eventlogging_TestLegacy' }, dt }
  const keyed = { $schema: '/sluice/keyed/1.0.0', meta: { stream: 'keyed.page', dt }, wiki_id: 'enwiki', page: { page_id: 7 } }
  const res = await post([legacy, keyed, testEvent('test.event')])
  assert.equal(res.statusCode, 201, res.body)
  assert.deepEqual(producer.records.map((r) => [r.topic, r.key]), [
    ['eventlogging_TestLegacy', null],
    ['eqiad.keyed.page', '{"wiki_id":"enwiki","page_id":7}'],
    ['eqiad.test.event', null]
  ])
  // A declared entry without settings refuses its own events only.
  const unfinished = await post([testEvent('development.unfinished')])
  assert.match(unfinished.body, /SLUICE_ERR_STREAM_CONFIG_INCOMPLETE/)
})

test('event_service_name: a stream whose destination_event_service names another service is not configured here', async (t) => {
  const { producer, post } = await gatewayOnApi(t, { event_service_name: 'eventgate-analytics-external' })
  assert.equal((await post([testEvent('test.event')])).statusCode, 201)
  const main = await post([{ $schema: '/sluice/keyed/1.0.0', meta: { stream: 'keyed.page', dt }, wiki_id: 'enwiki', page: { page_id: 7 } }])
  assert.match(main.body, /SLUICE_ERR_STREAM_NOT_CONFIGURED/)
  assert.match(main.body, /keyed\.page is not configured for eventgate-analytics-external \(its destination_event_service is eventgate-main\)/)
  assert.equal(producer.records.length, 1)
})

test('stream_config_fetch_unknown: a stream declared after the start is asked for by name and works without a restart; an unknown one is asked for once per TTL', async (t) => {
  const { api, producer, post } = await gatewayOnApi(t, { stream_config_fetch_unknown: true, stream_config_unknown_ttl_ms: 600000 })
  assert.deepEqual(api.requests.map((r) => r.streams), [undefined], 'one full load at start')
  assert.match((await post([testEvent('brand.new')])).body, /SLUICE_ERR_STREAM_NOT_CONFIGURED/)
  api.streams['brand.new'] = { schema_title: 'test/event', stream: 'brand.new', topic_prefixes: ['eqiad.', 'codfw.'], topics: ['eqiad.brand.new', 'codfw.brand.new'] }
  // Still unknown for the TTL: the source is not asked again.
  assert.match((await post([testEvent('brand.new'), testEvent('brand.new')])).body, /SLUICE_ERR_STREAM_NOT_CONFIGURED/)
  assert.deepEqual(api.requests.map((r) => r.streams), [undefined, 'brand.new'])

  // Another new stream: asked for once, produced, and known from then on.
  api.streams['newer.stream'] = { schema_title: 'test/event', stream: 'newer.stream' }
  const res = await post([testEvent('newer.stream'), testEvent('newer.stream'), testEvent('test.event')])
  assert.equal(res.statusCode, 201, res.body)
  assert.deepEqual(api.requests.map((r) => r.streams), [undefined, 'brand.new', 'newer.stream'])
  assert.equal((await post([testEvent('newer.stream')])).statusCode, 201, 'known from then on')
  assert.equal(api.requests.length, 3)
  assert.deepEqual(producer.records.map((r) => r.topic), ['eqiad.newer.stream', 'eqiad.newer.stream', 'eqiad.test.event', 'eqiad.newer.stream'])
})

test('stream_config_fetch_unknown: when the source fails, events of the unknown stream fail with a retriable error, the others are produced', async (t) => {
  const { api, producer, post } = await gatewayOnApi(t, { stream_config_fetch_unknown: true })
  api.streams['brand.new'] = { schema_title: 'test/event' }
  api.failNext = 1
  const res = await post([testEvent('brand.new'), testEvent('test.event')])
  assert.equal(res.statusCode, 207)
  assert.match(res.body, /SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE/)
  assert.doesNotMatch(res.body, /127\.0\.0\.1/, 'the source\'s address stays inside')
  assert.equal((await post([testEvent('brand.new')])).statusCode, 201, 'a failure is not remembered: the retry works')
  assert.deepEqual(producer.records.map((r) => r.topic), ['eqiad.test.event', 'eqiad.brand.new'])
})

test('the gateway starts after the API failed stream_config_retries times at most', async (t) => {
  const api = await startMediawikiApi()
  t.after(() => api.close())
  api.failNext = 2
  const { app } = await buildTestGateway(t, {
    config: { stream_config_uri: api.url, stream_config_uri_options: { headers: { Host: 'meta.wikimedia.org' } }, stream_config_retries: 2, stream_config_retry_delay_ms: 1 }
  })
  assert.equal(api.requests.length, 3)
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', payload: testEvent('test.event') })).statusCode, 201)
})
