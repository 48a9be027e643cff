import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createTopics } from '../../src/kafka/index.js'
import { launchChromium } from '../helpers/chromium.js'
import type { BrowserPage } from '../helpers/chromium.js'
import { startHttpServer } from '../helpers/http-server.js'
import { produceMessages } from '../helpers/kafka.js'
import { startOwnBroker } from '../helpers/own-broker.js'
import { openStream } from '../helpers/sse.js'
import { waitFor } from '../helpers/wait.js'
import { startStreamsFixture, testEvent } from './fixture.js'
import type { StreamsFixture } from './fixture.js'

// Stream clients through a Kafka outage: a browser's EventSource (headless Chromium) gives up for
// good on any answer but 200, so a stream opened while Kafka is down must be accepted, kept alive
// with heartbeats, and either start when Kafka answers or end cleanly (which EventSource retries).

interface EventSourceLog { opens: number, readyState: number, serverErrors: string[], messages: string[] }

/** Opens `url` with a real EventSource in the page; its events are kept under `window.logs[name]`. */
async function openEventSource (page: BrowserPage, name: string, url: string): Promise<void> {
  await page.evaluate(`(() => {
    window.logs = window.logs || {}
    const log = window.logs[${JSON.stringify(name)}] = { opens: 0, readyState: 0, serverErrors: [], messages: [] }
    const es = new EventSource(${JSON.stringify(url)})
    window.sources = window.sources || {}
    window.sources[${JSON.stringify(name)}] = es
    es.onopen = () => { log.opens++ }
    // An 'error' with data is the server's event: error; one without is the connection's.
    es.addEventListener('error', (e) => { if (typeof e.data === 'string') log.serverErrors.push(e.data) })
    es.addEventListener('message', (e) => { log.messages.push(e.data) })
    return true
  })()`)
}

async function logOf (page: BrowserPage, name: string): Promise<EventSourceLog> {
  return page.evaluate<EventSourceLog>(`(() => ({ ...window.logs[${JSON.stringify(name)}], readyState: window.sources[${JSON.stringify(name)}].readyState }))()`)
}

async function readyStatus (fx: StreamsFixture): Promise<number> {
  const res = await fetch(`${fx.url}/readyz`)
  await res.body?.cancel()
  return res.status
}

test('a stream opened while Kafka is down is accepted with heartbeats, starts when Kafka answers, or ends cleanly after kafka_unavailable_wait_ms and is reopened by EventSource', async (t) => {
  const page = await launchChromium(t)
  const broker = await startOwnBroker(t)
  const id = randomUUID().slice(0, 8)
  await createTopics([broker.bootstrap], ['eqiad', 'codfw'].map((dc) => ({ name: `${dc}.a-${id}`, partitions: 1 })).concat({ name: `eqiad.b-${id}`, partitions: 1 }))
  const common = { heartbeat_interval_ms: 300 }
  // Two instances serving the same streams from the same broker: one waits long, one briefly.
  const patient = await startStreamsFixture(t, { brokers: broker.bootstrap, id, config: { ...common, kafka_unavailable_wait_ms: 120000 } })
  const brief = await startStreamsFixture(t, { brokers: broker.bootstrap, id, config: { ...common, kafka_unavailable_wait_ms: 1500 } })
  // A page of another origin, as a site using the service is: the service's own pages forbid
  // connections elsewhere (CSP), and the EventSources here go to two instances.
  const site = await startHttpServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>site</title>') }, t)
  await page.navigate(`${site.origin}/`)
  await waitFor('both instances to be ready', async () => (await readyStatus(patient)) === 200 && (await readyStatus(brief)) === 200)

  broker.kill()
  await waitFor('both instances to see the outage', async () => (await readyStatus(patient)) === 503 && (await readyStatus(brief)) === 503, 15000)

  // A plain client sees the stream as it is written: 200, `:ok`, heartbeats, then the end.
  const raw = await openStream(`${brief.url}/v2/stream/${brief.names.a}`)
  assert.equal(raw.status, 200, raw.raw)
  assert.match(String(raw.headers['content-type']), /^text\/event-stream/)
  await raw.ended
  assert.ok(raw.raw.startsWith(':ok\n\n'), raw.raw)
  assert.ok(raw.comments.filter((c) => c === ' heartbeat').length >= 2, `heartbeats while waiting: ${raw.raw}`)
  const [ended] = raw.events
  assert.equal(ended?.event, 'error', raw.raw)
  assert.equal(ended?.id, undefined, 'no id: the client keeps its last one')
  assert.equal((JSON.parse(ended?.data ?? '{}') as { code?: string }).code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.ok(raw.raw.endsWith('\n\n'), 'the stream ends after a whole event')

  // Browsers: one waits on the patient instance, one keeps being ended by the brief one.
  await openEventSource(page, 'patient', `${patient.url}/v2/stream/${patient.names.a}`)
  await openEventSource(page, 'brief', `${brief.url}/v2/stream/${brief.names.a}`)
  await waitFor('the patient EventSource to be open', async () => (await logOf(page, 'patient')).opens === 1)
  await waitFor('the brief EventSource to be told and to reconnect', async () => {
    const log = await logOf(page, 'brief')
    return log.serverErrors.length >= 1 && log.opens >= 2
  }, 20000)
  const brieflyOpen = await logOf(page, 'brief')
  assert.notEqual(brieflyOpen.readyState, 2, 'the EventSource did not give up (CLOSED)')
  assert.equal((JSON.parse(brieflyOpen.serverErrors[0] ?? '{}') as { code?: string }).code, 'SLUICE_ERR_KAFKA_UNAVAILABLE')
  assert.equal(patient.service.openStreams, 1)
  assert.match(await brief.metrics(), /sluice_streams_disconnects_total\{reason="kafka_unavailable"\} [1-9]/)
  assert.doesNotMatch(await patient.metrics(), /sluice_streams_rejected_requests_total\{reason="unavailable"\}/)

  await broker.restart()
  await waitFor('the waiting stream to start reading', () => Object.keys(patient.service.reader.stats().tailLoops).length >= 2, 30000)
  const marker = randomUUID()
  await produceMessages(`eqiad.a-${id}`, [{ value: testEvent({ marker }) }], { brokers: [broker.bootstrap] })
  await waitFor('the event in the browser', async () => (await logOf(page, 'patient')).messages.length >= 1, 20000)
  const patientLog = await logOf(page, 'patient')
  assert.equal(patientLog.opens, 1, 'delivered on the connection opened during the outage')
  assert.equal((JSON.parse(patientLog.messages[0] ?? '{}') as { marker?: string }).marker, marker)
  assert.deepEqual(patientLog.serverErrors, [])
  await page.evaluate('Object.values(window.sources).forEach((es) => es.close())')
})

test('while Kafka is down, the checks that need no Kafka still answer before the stream, and capacity still answers 503', async (t) => {
  const broker = await startOwnBroker(t)
  const id = randomUUID().slice(0, 8)
  await createTopics([broker.bootstrap], [{ name: `eqiad.a-${id}`, partitions: 1 }])
  const fx = await startStreamsFixture(t, { brokers: broker.bootstrap, id, config: { max_connections: 1, kafka_unavailable_wait_ms: 60000 } })
  await waitFor('the instance to be ready', async () => (await readyStatus(fx)) === 200)
  broker.kill()
  await waitFor('the instance to see the outage', async () => (await readyStatus(fx)) === 503, 15000)

  const unknown = await fetch(`${fx.url}/v2/stream/no-such-stream-${id}`)
  assert.equal(unknown.status, 400)
  assert.equal(((await unknown.json()) as { code: string }).code, 'SLUICE_ERR_STREAMS_NOT_FOUND')
  const badSince = await fetch(`${fx.url}/v2/stream/${fx.names.a}?since=yesterday-ish`)
  assert.equal(badSince.status, 400)
  await badSince.body?.cancel()

  const waiting = await openStream(`${fx.url}/v2/stream/${fx.names.a}`)
  assert.equal(waiting.status, 200)
  const full = await fetch(`${fx.url}/v2/stream/${fx.names.a}`)
  assert.equal(full.status, 503)
  assert.equal(full.headers.get('retry-after'), '1')
  assert.equal(((await full.json()) as { code: string }).code, 'SLUICE_ERR_STREAMS_AT_CAPACITY')
  waiting.close()
})
