import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import { createTopic, produceMessages } from '../helpers/kafka.js'
import { startMediawikiApi } from '../helpers/mediawiki-api.js'
import { openStream } from '../helpers/sse.js'
import { startStreamsFixture, testEvent } from './fixture.js'

// The stream service on MediaWiki's EventStreamConfig API (a local server shaped like it).

test('stream_config_fetch_unknown: a stream declared after the start is served without a restart; one only a regex declares is not', async (t) => {
  const api = await startMediawikiApi()
  t.after(() => api.close())
  const fx = await startStreamsFixture(t, {
    config: { stream_config_uri: api.url, stream_config_uri_options: { headers: { Host: 'meta.wikimedia.org' } }, stream_config_fetch_unknown: true }
  })
  const name = `late-${randomUUID().slice(0, 8)}`
  const topic = `eqiad.${name}`
  await createTopic(topic, 1)
  await produceMessages(topic, [{ value: testEvent({ n: 'late' }, { stream: name }) }])
  const before = await request(`${fx.url}/v2/stream/${name}?since=0`)
  assert.match(await before.body.text(), /SLUICE_ERR_STREAMS_NOT_FOUND/)

  api.streams[name] = { schema_title: 'test/event', stream: name, topic_prefixes: ['eqiad.'], topics: [topic] }
  // Asked again once the unknown name's TTL is over; with the default of a minute, a new name is needed here.
  const client = await openStream(`${fx.url}/v2/stream/${name},${name}?since=0`)
  t.after(() => client.close())
  assert.equal(client.status, 400, 'still unknown: the source was asked a moment ago')
  const again = `${name}x`
  await createTopic(`eqiad.${again}`, 1)
  await produceMessages(`eqiad.${again}`, [{ value: testEvent({ n: 'again' }, { stream: again }) }])
  api.streams[again] = { schema_title: 'test/event', stream: again, topic_prefixes: ['eqiad.'], topics: [`eqiad.${again}`] }
  const served = await openStream(`${fx.url}/v2/stream/${again}?since=0`)
  t.after(() => served.close())
  assert.equal(served.status, 200)
  await served.waitForMessages(1)
  assert.deepEqual(served.messages().map((m) => m.n), ['again'])
  assert.deepEqual(api.requests.map((r) => r.streams), [undefined, name, again])

  // mediawiki.job.* is declared by a regex entry: EventStreams serves no regex entry, on demand neither.
  const job = await request(`${fx.url}/v2/stream/mediawiki.job.late?since=0`)
  assert.match(await job.body.text(), /SLUICE_ERR_STREAMS_NOT_FOUND/)
  assert.equal(api.requests.at(-1)?.streams, 'mediawiki.job.late')
})
