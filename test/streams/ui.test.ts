import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { request } from 'undici'
import { createGateway } from '../../src/gateway/index.js'
import { launchChromium } from '../helpers/chromium.js'
import type { BrowserPage } from '../helpers/chromium.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { startStreamsFixture } from './fixture.js'
import type { StreamsFixture } from './fixture.js'

// The browser page at /v2/ui in a real headless Chromium: a browser EventSource on the page
// shows live events that were posted through the gateway (POST /v1/events → Kafka → the
// stream service → SSE → the page's list).

interface Setup { fx: StreamsFixture, page: BrowserPage, post: (events: Array<Record<string, unknown>>) => Promise<void> }

/**
 * Chromium, the stream service fixture, and a real gateway producing to the test broker with
 * topic_prefix `eqiad.` and the fixture's stream `a` declared, so its events land in eqiad.<a>.
 * Started in this order so that `t.after` (first in, first out) ends the browser's EventSource
 * before the service and the gateway close.
 */
async function setup (t: TestContext): Promise<Setup> {
  const page = await launchChromium(t)
  const fx = await startStreamsFixture(t)
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-ui-gateway-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const streamConfig = join(dir, 'streams.yaml')
  await writeFile(streamConfig, yaml.dump({ [fx.names.a]: { schema_title: 'test/event' } }))
  const gateway = await createGateway(testGatewayConfig({
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: 'eqiad.',
    stream_config_uri: streamConfig,
    kafka: { brokers: requireBrokers() }
  }), { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  const gatewayUrl = await listen(gateway)
  await waitFor('the gateway to be ready', async () => {
    const res = await request(`${gatewayUrl}/readyz`)
    await res.body.dump()
    return res.statusCode === 200
  })
  const post = async (events: Array<Record<string, unknown>>): Promise<void> => {
    const res = await request(`${gatewayUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
    const body = await res.body.text()
    assert.equal(res.statusCode, 201, body)
  }
  return { fx, page, post }
}

/** An event of stream `a` as a producer posts it to the gateway. */
function event (fx: StreamsFixture, fields: Record<string, unknown>): Record<string, unknown> {
  return { $schema: '/test/event/1.0.0', meta: { stream: fx.names.a, dt: new Date().toISOString(), domain: 'test.example.org' }, ...fields }
}

/** The text of the page's event items, newest first (as the page shows them). */
function shown (page: BrowserPage): Promise<string[]> {
  return page.evaluate<string[]>(`Array.from(document.querySelectorAll('#events li.event'), (li) => li.textContent)`)
}

function status (page: BrowserPage): Promise<string> {
  return page.evaluate<string>(`document.getElementById('status').textContent`)
}

/** Opens the page on `query`, waits until it says it is connected and the service has the client live on both of a's topics. */
async function openLive (fx: StreamsFixture, page: BrowserPage, query: string): Promise<string> {
  await page.navigate(`${fx.url}/v2/ui?${query}`)
  await waitFor('the page to say it is connected', async () => /^Connected to \/v2\/stream\//.test(await status(page)))
  await waitFor('the service to have one live client', () => fx.service.openStreams === 1 && Object.keys(fx.service.reader.stats().tailLoops).length >= 2)
  return status(page)
}

test('the page lists the streams from /?spec, connects, and shows events posted through the gateway as they arrive', async (t) => {
  const { fx, page, post } = await setup(t)

  await page.navigate(`${fx.url}/v2/ui`)
  await waitFor('the stream list', async () => (await page.evaluate<number>(`document.querySelectorAll('#streams option').length`)) > 0)
  const options = await page.evaluate<string[]>(`Array.from(document.querySelectorAll('#streams option'), (o) => o.value)`)
  for (const name of [fx.names.a, fx.names.aa, fx.names.b]) assert.ok(options.includes(name), `${name} is listed: ${options.join(', ')}`)
  assert.ok(!options.some((name) => name.startsWith('/')), 'regex streams are not listed')
  assert.equal(await status(page), `${options.length} streams. Pick one or more.`)
  assert.equal(fx.service.openStreams, 0, 'nothing is streamed before the user starts')

  const connected = await openLive(fx, page, `streams=${encodeURIComponent(fx.names.a)}&start=1`)
  assert.equal(connected, `Connected to /v2/stream/${fx.names.a}; waiting for events.`)
  assert.deepEqual(await page.evaluate(`Array.from(document.querySelectorAll('#streams option:checked'), (o) => o.value)`), [fx.names.a])
  assert.deepEqual(await shown(page), [])

  const first = randomUUID()
  const second = randomUUID()
  await post([event(fx, { test: 'first', marker: first })])
  await post([event(fx, { test: 'second', marker: second })])
  await waitFor('both events on the page', async () => (await shown(page)).length >= 2)
  const items = await shown(page)
  assert.equal(items.length, 2, items.join('\n'))
  // Newest first; each item is the event's data as the service sent it.
  assert.ok(items[0]!.includes(second), items[0])
  assert.ok(items[1]!.includes(first), items[1])
  const data = JSON.parse(items[1]!) as { marker: string, meta: { stream: string, topic: string } }
  assert.equal(data.marker, first)
  assert.equal(data.meta.stream, fx.names.a)
  assert.equal(data.meta.topic, fx.topics.eqiadA)
  assert.equal(await status(page), `Connected to /v2/stream/${fx.names.a}; 2 events.`)
})

test('a filter from the page\'s query shows only the matching event', async (t) => {
  const { fx, page, post } = await setup(t)
  const wanted = randomUUID()
  const other = randomUUID()
  const connected = await openLive(fx, page, `streams=${encodeURIComponent(fx.names.a)}&filter=${encodeURIComponent(`marker=${wanted}`)}&start=1`)
  assert.equal(connected, `Connected to /v2/stream/${fx.names.a}?${new URLSearchParams({ 'filter[marker]': wanted }).toString()}; waiting for events.`)
  assert.equal(await page.evaluate(`document.getElementById('filter').value`), `marker=${wanted}`)

  // The other event goes first, to the same partition: once the wanted one is shown, the other
  // was read and left out, not merely late.
  await post([event(fx, { marker: other })])
  await post([event(fx, { marker: wanted })])
  await waitFor('the matching event on the page', async () => (await shown(page)).some((text) => text.includes(wanted)))
  const items = await shown(page)
  assert.equal(items.length, 1, items.join('\n'))
  assert.ok(!items[0]!.includes(other))
  assert.equal(await status(page), `Connected to /v2/stream/${fx.names.a}?${new URLSearchParams({ 'filter[marker]': wanted }).toString()}; 1 events.`)
})

test('event text is shown as text, never as markup', async (t) => {
  const { fx, page, post } = await setup(t)
  await openLive(fx, page, `streams=${encodeURIComponent(fx.names.a)}&start=1`)
  const marker = randomUUID()
  const markup = '<img src=x onerror="window.__sluiceInjected = true"><b>bold</b>'
  await post([event(fx, { marker, test: markup })])
  await waitFor('the event on the page', async () => (await shown(page)).some((text) => text.includes(marker)))
  const items = await shown(page)
  assert.equal(items.length, 1)
  assert.equal((JSON.parse(items[0]!) as { test: string }).test, markup, 'the markup is there, as text')
  assert.equal(await page.evaluate(`document.querySelectorAll('#events img, #events b').length`), 0)
  assert.equal(await page.evaluate(`document.querySelectorAll('#events li.event')[0].children.length`), 0)
  assert.equal(await page.evaluate(`window.__sluiceInjected === undefined`), true)
})

test('a stream request the service refuses (an invalid filter) is reported, and the page stops', async (t) => {
  const page = await launchChromium(t)
  const fx = await startStreamsFixture(t)
  await page.navigate(`${fx.url}/v2/ui?streams=${encodeURIComponent(fx.names.a)}&filter=${encodeURIComponent('not a path=x')}&start=1`)
  const url = `/v2/stream/${fx.names.a}?${new URLSearchParams({ 'filter[not a path]': 'x' }).toString()}`
  await waitFor('the page to report the refusal', async () => (await status(page)).startsWith('The service refused'))
  assert.equal(await status(page), `The service refused ${url} (check the streams and the filter).`)
  assert.deepEqual(await page.evaluate(`[document.getElementById('start').disabled, document.getElementById('stop').disabled]`), [false, true])
  assert.equal(fx.service.openStreams, 0)
})
