import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { fetchTopicOffsets, listTopics } from '../src/kafka/index.js'
import { createLogger } from '../src/logger.js'
import { createTopic, produceMessages, readMessages } from './helpers/kafka.js'
import { startTwoDatacenters } from './helpers/two-datacenters.js'
import type { TwoDatacenters } from './helpers/two-datacenters.js'
import { waitFor } from './helpers/wait.js'

// Two datacenters on one machine, joined by Kafka's own MirrorMaker 2 (one per direction). One
// pair of clusters and mirrors serves every test of this file; each test uses topics of its own.

const cleanups: Array<() => Promise<void>> = []
let dc: TwoDatacenters
before(async () => { dc = await startTwoDatacenters({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }) })
after(async () => { for (const fn of cleanups.reverse()) await fn() })

const silent = createLogger({ level: 'silent', name: 'test' })

async function count (brokers: string, topic: string): Promise<number> {
  const offsets = await fetchTopicOffsets([brokers], topic)
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
}

test('a record written in eqiad is copied to codfw under the same name, with its key, value, headers and timestamp; nothing loops back', async () => {
  const topic = `eqiad.mirror-${randomUUID().slice(0, 8)}`
  await createTopic(topic, 1)
  const timestamp = Date.now() - 60_000
  await produceMessages(topic, [{ key: 'k1', value: '{"n":1}', timestamp, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }])
  const [copy] = await readMessages(topic, 1, { brokers: [dc.codfw], timeoutMs: 60_000 })
  assert.equal(copy!.key, 'k1')
  assert.equal(copy!.value, '{"n":1}')
  assert.equal(copy!.timestamp, String(timestamp))
  assert.equal(copy!.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')

  const back = `codfw.mirror-${randomUUID().slice(0, 8)}`
  await createTopic(back, 1)
  await produceMessages(back, [{ value: 'from codfw' }], { brokers: [dc.codfw] })
  await waitFor('codfw\'s record in eqiad', async () => (await listTopics([dc.eqiad], { clientId: 'test', logger: silent })).includes(back) && await count(dc.eqiad, back) === 1, 60_000)
  // A loop would copy eqiad's topic back into eqiad (or under another name): it stays at one record.
  assert.equal(await count(dc.eqiad, topic), 1)
  assert.equal(await count(dc.codfw, topic), 1)
  const names = await listTopics([dc.codfw], { clientId: 'test', logger: silent })
  assert.deepEqual(names.filter((n) => n.includes(topic) && n !== topic), [], 'no renamed copies')
})
