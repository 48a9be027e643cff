import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { runUpCommand } from '../src/cli/up.js'
import { captureIO } from './helpers/io.js'
import { createGateway } from '../src/gateway/index.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from './helpers/gateway.js'
import { fetchTopicOffsets, listTopics } from '../src/kafka/index.js'
import { createLogger } from '../src/logger.js'
import type { RuleSpec } from '../src/changeprop/index.js'
import { committedOffsets, createTopic, produceMessages, readMessages, testTmpDir } from './helpers/kafka.js'
import { startRedis } from './helpers/redis.js'
import { startSink } from './changeprop/helpers/sink.js'
import { startChangeprop, testNames } from './changeprop/helpers/start.js'
import { startTwoDatacenters } from './helpers/two-datacenters.js'
import type { TwoDatacenters } from './helpers/two-datacenters.js'
import { waitFor } from './helpers/wait.js'
import { openStream } from './helpers/sse.js'
import { startStreamsFixture, testEvent } from './streams/fixture.js'

// Two datacenters on one machine, joined by Kafka's own MirrorMaker 2 (one per direction). One
// pair of clusters and mirrors serves every test of this file; each test uses topics of its own.

const cleanups: Array<() => Promise<void>> = []
let dc: TwoDatacenters
before(async () => { dc = await startTwoDatacenters({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }) })
after(async () => { for (const fn of cleanups.reverse()) await fn() })

const silent = createLogger({ level: 'silent', name: 'test' })

/** Records in a topic of one cluster; -1 while the topic is not there (yet). */
async function count (brokers: string, topic: string): Promise<number> {
  const offsets = await fetchTopicOffsets([brokers], topic).catch(() => undefined)
  return offsets === undefined ? -1 : offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
}

test('a record written in eqiad is copied to codfw under the same name, with its key, value, headers and timestamp; nothing loops back', async () => {
  const topic = `eqiad.mirror-${randomUUID().slice(0, 8)}`
  await createTopic(topic, 1)
  const timestamp = Date.now() - 60_000
  await produceMessages(topic, [{ key: 'k1', value: '{"n":1}', timestamp, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }])
  const [copy] = await readMessages(topic, 1, { brokers: [dc.codfw], timeoutMs: 150_000 })
  assert.equal(copy!.key, 'k1')
  assert.equal(copy!.value, '{"n":1}')
  assert.equal(copy!.timestamp, String(timestamp))
  assert.equal(copy!.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')

  const back = `codfw.mirror-${randomUUID().slice(0, 8)}`
  await createTopic(back, 1)
  await produceMessages(back, [{ value: 'from codfw' }], { brokers: [dc.codfw] })
  await waitFor('codfw\'s record in eqiad', async () => (await listTopics([dc.eqiad], { clientId: 'test', logger: silent })).includes(back) && await count(dc.eqiad, back) === 1, 150_000)
  // A loop would copy eqiad's topic back into eqiad (or under another name): it stays at one record.
  assert.equal(await count(dc.eqiad, topic), 1)
  assert.equal(await count(dc.codfw, topic), 1)
  const names = await listTopics([dc.codfw], { clientId: 'test', logger: silent })
  assert.deepEqual(names.filter((n) => n.includes(topic) && n !== topic), [], 'no renamed copies')
})

test('legacy eventlogging_ streams: eqiad owns the bare topic, codfw writes codfw.eventlogging_*; each reaches the other cluster once, and both stream services serve every event once', async (t) => {
  const stream = `eventlogging_Mdc${randomUUID().slice(0, 8)}`
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-legacy-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'streams.yaml'), `${stream}:\n  schema_title: analytics/legacy/testlegacy\n`)
  const gateway = async (brokers: string, prefix: string): Promise<string> => {
    const service = await createGateway(testGatewayConfig({
      port: 0, listen_address: '127.0.0.1', stream_config_uri: join(dir, 'streams.yaml'), topic_prefix: prefix, legacy_topics_home: 'eqiad.', kafka: { brokers: [brokers] }
    }), { cwd: fixturesDir, logger: testLogger() })
    t.after(() => service.close())
    return listen(service)
  }
  const post = async (url: string, n: string): Promise<void> => {
    const res = await request(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ $schema: '/analytics/legacy/testlegacy/1.0.0', meta: { stream }, event: { action: n } })
    })
    assert.equal(res.statusCode, 201, await res.body.text())
  }
  await post(await gateway(dc.eqiad, 'eqiad.'), 'e1')
  await post(await gateway(dc.codfw, 'codfw.'), 'c1')
  await waitFor('each datacenter\'s legacy topic in the other cluster', async () =>
    await count(dc.codfw, stream) === 1 && await count(dc.eqiad, `codfw.${stream}`) === 1, 150_000)
  for (const brokers of [dc.eqiad, dc.codfw]) {
    const names = (await listTopics([brokers], { clientId: 'test', logger: silent })).filter((n) => n.includes(stream)).sort()
    assert.deepEqual(names, [`codfw.${stream}`, stream], 'one name per datacenter, nothing renamed or prefixed twice')
    // Nothing looped back into the cluster that wrote it.
    assert.equal(await count(brokers, stream), 1)
    assert.equal(await count(brokers, `codfw.${stream}`), 1)
  }
  const served = { [stream]: { schema_title: 'analytics/legacy/testlegacy' } }
  const config = { stream_config_defaults: { topic_prefixes: ['eqiad.', 'codfw.'] }, legacy_topics_home: 'eqiad.' }
  const eqiad = await startStreamsFixture(t, { extraStreams: served, config })
  const codfw = await startStreamsFixture(t, { id: eqiad.id, extraStreams: served, config, brokers: dc.codfw })
  for (const service of [eqiad, codfw]) {
    const client = await openStream(`${service.url}/v2/stream/${stream}?since=0`)
    t.after(() => client.close())
    await client.waitForMessages(2, 150_000)
    assert.deepEqual(client.messages().map((m) => (m.event as Record<string, unknown>).action).sort(), ['c1', 'e1'])
    assert.deepEqual(client.messages().map((m) => (m.meta as Record<string, unknown>).topic).sort(), [`codfw.${stream}`, stream])
  }
})

test('a stream client resumes against the other datacenter\'s stream service with nothing lost or repeated while events land in both datacenters', async (t) => {
  const eqiad = await startStreamsFixture(t, { skipTopics: ['codfwA'] })
  const codfw = await startStreamsFixture(t, { id: eqiad.id, brokers: dc.codfw })
  const { eqiadA, codfwA } = eqiad.topics
  await produceMessages(codfwA, [{ value: testEvent({ n: 'c-first' }) }], { brokers: [dc.codfw] })
  await waitFor('both topics in both clusters', async () => {
    const [inEqiad, inCodfw] = await Promise.all([listTopics([dc.eqiad], { clientId: 'test', logger: silent }), listTopics([dc.codfw], { clientId: 'test', logger: silent })])
    return inEqiad.includes(codfwA) && inCodfw.includes(eqiadA) && await count(dc.eqiad, codfwA) === 1
  }, 150_000)

  const first = await openStream(`${eqiad.url}/v2/stream/${eqiad.names.a}`)
  await waitFor('the eqiad stream is live', () => Object.keys(eqiad.service.reader.stats().tailLoops).length === 2)
  await produceMessages(eqiadA, [1, 2, 3].map((n) => ({ value: testEvent({ n: `e${n}` }) })))
  await first.waitForMessages(3)
  first.close()

  // Disconnected: events keep landing in both datacenters' topics, each written in its own cluster.
  await produceMessages(eqiadA, [4, 5].map((n) => ({ value: testEvent({ n: `e${n}` }) })))
  await produceMessages(codfwA, [1, 2].map((n) => ({ value: testEvent({ n: `c${n}` }) })), { brokers: [dc.codfw] })

  const resumed = await openStream(`${codfw.url}/v2/stream/${codfw.names.a}`, { 'last-event-id': first.lastId! })
  t.after(() => resumed.close())
  await resumed.waitForMessages(4, 60_000)
  await produceMessages(eqiadA, [{ value: testEvent({ n: 'e6' }) }])
  await resumed.waitForMessages(5, 60_000)
  const got = resumed.messages().map((m) => m.n)
  assert.deepEqual([...got].sort(), ['c1', 'c2', 'e4', 'e5', 'e6'], 'the rest of both datacenters, once each')
  assert.deepEqual(first.messages().map((m) => m.n), ['e1', 'e2', 'e3'])
})

function ruleFor (stream: string, origin: string): RuleSpec {
  return { topic: stream, exec: { method: 'get', uri: `${origin}/{{message.n}}` } }
}

function changeEvent (stream: string, n: string, id: string | undefined = randomUUID()): string {
  return JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream, dt: new Date().toISOString(), domain: 'test.example.org', ...(id === undefined ? {} : { id }) }, n })
}

test('change propagation reacts to an event once, in the datacenter where it was produced', async (t) => {
  const sink = await startSink()
  t.after(() => sink.close())
  const names = testNames()
  const stream = `mdc-${randomUUID().slice(0, 8)}`
  const rules = { react: ruleFor(stream, sink.origin) }
  await startChangeprop(t, rules, { topic_prefix: 'eqiad.', kafka: { brokers: [dc.eqiad] } }, names)
  await startChangeprop(t, rules, { topic_prefix: 'codfw.', kafka: { brokers: [dc.codfw] } }, names)
  await produceMessages(`eqiad.${stream}`, [{ value: changeEvent(stream, 'from-eqiad') }])
  await produceMessages(`codfw.${stream}`, [{ value: changeEvent(stream, 'from-codfw') }], { brokers: [dc.codfw] })
  await sink.waitForRequests(2)
  await waitFor('each datacenter\'s event mirrored to the other', async () => await count(dc.codfw, `eqiad.${stream}`) === 1 && await count(dc.eqiad, `codfw.${stream}`) === 1, 150_000)
  // codfw's deployment never subscribes to eqiad's topics (and the reverse): no position there.
  const group = `${names.service}-react`
  assert.deepEqual(await committedOffsets(group, `eqiad.${stream}`, { brokers: [dc.codfw] }), { 0: '-1' })
  assert.deepEqual(await committedOffsets(group, `codfw.${stream}`, { brokers: [dc.eqiad] }), { 0: '-1' })
  assert.deepEqual(sink.requests.map((r) => r.path).sort(), ['/from-codfw', '/from-eqiad'])
})

test('switchover: codfw takes over eqiad\'s topics from the lookback window; nothing is lost, and a shared dedupe store runs nothing twice', async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const sink = await startSink()
  t.after(() => sink.close())
  const names = testNames()
  const stream = `sw-${randomUUID().slice(0, 8)}`
  const rules = { react: ruleFor(stream, sink.origin) }
  const shared = { redis: { url: redis.url, key_prefix: names.service } }
  const eqiad = await startChangeprop(t, rules, { ...shared, topic_prefix: 'eqiad.', kafka: { brokers: [dc.eqiad] } }, names)
  // An hour old and without meta.id (so no dedupe): only the lookback keeps it from running again.
  await produceMessages(`eqiad.${stream}`, [{ value: changeEvent(stream, 'old', undefined), timestamp: Date.now() - 3600_000 }])
  await produceMessages(`eqiad.${stream}`, ['e1', 'e2', 'e3'].map((n) => ({ value: changeEvent(stream, n) })))
  await sink.waitForRequests(4)
  await eqiad.changeprop.close()

  // eqiad's change propagation is gone; its Kafka still takes events, and the mirror copies them.
  await produceMessages(`eqiad.${stream}`, ['e4', 'e5'].map((n) => ({ value: changeEvent(stream, n) })))
  await waitFor('eqiad\'s events in codfw', async () => await count(dc.codfw, `eqiad.${stream}`) === 6, 150_000)
  await startChangeprop(t, rules, { ...shared, topic_prefix: 'codfw.', consume_topic_prefixes: ['codfw.', 'eqiad.'], takeover_lookback_ms: 600_000, kafka: { brokers: [dc.codfw] } }, names)
  await sink.waitForRequests(6)
  await produceMessages(`eqiad.${stream}`, [{ value: changeEvent(stream, 'e6') }])
  await sink.waitForRequests(7, { timeoutMs: 150_000 })
  assert.deepEqual(sink.requests.map((r) => r.path).sort(), ['/e1', '/e2', '/e3', '/e4', '/e5', '/e6', '/old'])
})

test('sluice up --datacenters eqiad,codfw: an event posted to eqiad\'s gateway reaches a stream client connected in codfw', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const offset = 20000 + Math.floor(Math.random() * 300) * 10
  const cli = captureIO({ KAFKA_BROKERS_EQIAD: dc.eqiad, KAFKA_BROKERS_CODFW: dc.codfw, LOG_LEVEL: 'warn' }, root)
  const running = runUpCommand(['--datacenters', 'eqiad,codfw', '--port-offset', String(offset), '--no-changeprop'], cli.io)
  try {
    await waitFor('the two-datacenter platform', () => cli.out().includes('ready; press Ctrl-C'), 60_000)
    const gateway = /^eqiad gateway: listening on (\S+)/m.exec(cli.out())![1]!
    const streams = /^codfw streams: listening on (\S+)/m.exec(cli.out())![1]!
    assert.match(cli.out(), /^codfw gateway: listening on http:\/\/127\.0\.0\.1:\d+/m)
    const since = Date.now() - 1000
    const post = async (marker: string): Promise<number> => (await request(`${gateway}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: new Date().toISOString(), test: marker })
    })).statusCode
    const first = `first-${randomUUID()}`
    assert.equal(await post(first), 201)
    let client: Awaited<ReturnType<typeof openStream>> | undefined
    await waitFor('codfw serves eqiad\'s mirrored topic', async () => {
      client?.close()
      client = await openStream(`${streams}/v2/stream/test.event?since=${since}`)
      return client.status === 200
    }, 150_000)
    await waitFor('the first event in codfw', () => client!.messages().some((m) => m.test === first), 150_000)
    const second = `second-${randomUUID()}`
    assert.equal(await post(second), 201)
    await waitFor('the live event in codfw', () => client!.messages().some((m) => m.test === second), 150_000)
    const event = client!.messages().find((m) => m.test === second)!
    assert.equal((event.meta as Record<string, unknown>).topic, 'eqiad.test.event')
    client!.close()
  } finally {
    cli.stop('SIGINT')
    assert.equal(await running, 0, cli.err())
  }
})

// Last: it takes codfw's cluster away.
test('a Kafka outage in codfw leaves eqiad\'s gateway fully working, and codfw\'s not ready until its cluster is back', async (t) => {
  const prefix = `out${randomUUID().slice(0, 6)}`
  const start = async (brokers: string, dcName: string): Promise<{ url: string, ready: () => Promise<number> }> => {
    const gateway = await createGateway(testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: `${dcName}.${prefix}.`, kafka: { brokers: [brokers], health_check_interval_ms: 200, health_check_timeout_ms: 300 } }), { cwd: fixturesDir, logger: testLogger() })
    t.after(() => gateway.close())
    const url = await listen(gateway)
    return { url, ready: async () => (await request(`${url}/readyz`)).statusCode }
  }
  const eqiad = await start(dc.eqiad, 'eqiad')
  const codfw = await start(dc.codfw, 'codfw')
  await waitFor('both ready', async () => await eqiad.ready() === 200 && await codfw.ready() === 200)
  dc.codfwBroker.kill()
  await waitFor('codfw\'s gateway not ready', async () => await codfw.ready() === 503, 10_000)
  const body = JSON.stringify([{ $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: '2024-05-06T07:08:09Z' }, test: 'during the outage' }])
  const res = await request(`${eqiad.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  assert.equal(res.statusCode, 201)
  await res.body.dump()
  assert.equal(await eqiad.ready(), 200)
  assert.equal(await count(dc.eqiad, `eqiad.${prefix}.test.event`), 1)
  await dc.codfwBroker.restart()
  await waitFor('codfw\'s gateway ready again', async () => await codfw.ready() === 200, 30_000)
})
