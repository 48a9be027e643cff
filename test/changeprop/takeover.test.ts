import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { RuleSpec } from '../../src/changeprop/index.js'
import { retryGroupOf, ruleGroupOf } from '../../src/stream-config/index.js'
import { committedOffsets, groupTopics, produceMessages } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { startSink } from './helpers/sink.js'
import { startChangeprop, testNames } from './helpers/start.js'

// codfw's change propagation takes over eqiad's topics in codfw's cluster, where the mirror brought
// them. A legacy eventlogging_ stream has one topic per datacenter: the bare name, eqiad's (the
// legacy home), and codfw.eventlogging_*, codfw's. Each is read by one group only.

function legacyRule (stream: string, origin: string): RuleSpec {
  return { topic: stream, exec: { method: 'get', uri: `${origin}/{{message.n}}` } }
}

function legacyEvent (stream: string, n: string): string {
  return JSON.stringify({ $schema: '/analytics/legacy/testlegacy/1.0.0', meta: { stream, id: randomUUID(), dt: new Date().toISOString() }, dt: new Date().toISOString(), n })
}

test('a takeover reads a legacy stream\'s topic once: the home group its own datacenter\'s, the takeover group the legacy home\'s; nothing runs twice', async (t) => {
  const sink = await startSink()
  t.after(() => sink.close())
  const names = testNames()
  const eqiad = `e${randomUUID().slice(0, 8)}.`
  const codfw = names.prefix
  const stream = `eventlogging_Takeover${randomUUID().slice(0, 8)}`
  await startChangeprop(t, { react: legacyRule(stream, sink.origin) }, {
    consume_topic_prefixes: [codfw, eqiad],
    legacy_topics_home: eqiad,
    takeover_lookback_ms: 600_000
  }, names)
  const home = ruleGroupOf(names.service, 'react', codfw, codfw)
  const takeover = ruleGroupOf(names.service, 'react', eqiad, codfw)
  assert.deepEqual(await groupTopics(home), [`${codfw}${stream}`])
  assert.deepEqual(await groupTopics(takeover), [stream])
  assert.deepEqual(await groupTopics(retryGroupOf(takeover)), [`${eqiad}${names.service}.retry.${stream}`])

  await produceMessages(stream, [{ value: legacyEvent(stream, 'from-eqiad') }])
  await produceMessages(`${codfw}${stream}`, [{ value: legacyEvent(stream, 'from-codfw') }])
  await sink.waitForRequests(2)
  await waitFor('both groups to commit', async () => (await committedOffsets(takeover, stream))[0] === '1' && (await committedOffsets(home, `${codfw}${stream}`))[0] === '1')
  assert.deepEqual((await committedOffsets(home, stream))[0], '-1', 'the home group never read the legacy home\'s topic')
  assert.deepEqual(sink.requests.map((r) => r.path).sort(), ['/from-codfw', '/from-eqiad'])
})

test('without a legacy home each datacenter is its own: a takeover reads the other\'s prefixed legacy topic, never the bare one its home group reads', async (t) => {
  const sink = await startSink()
  t.after(() => sink.close())
  const names = testNames()
  const other = `e${randomUUID().slice(0, 8)}.`
  const stream = `eventlogging_Takeover${randomUUID().slice(0, 8)}`
  await startChangeprop(t, { react: legacyRule(stream, sink.origin) }, { consume_topic_prefixes: [names.prefix, other] }, names)
  assert.deepEqual(await groupTopics(ruleGroupOf(names.service, 'react', names.prefix, names.prefix)), [stream])
  assert.deepEqual(await groupTopics(ruleGroupOf(names.service, 'react', other, names.prefix)), [`${other}${stream}`])
})
