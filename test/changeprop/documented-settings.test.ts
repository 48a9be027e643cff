import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { listTopics } from '../../src/kafka/index.js'
import { delayTopicOf, errorTopicOf, namingOf, retryTopicOf } from '../../src/stream-config/index.js'
import { createTopic, requireBrokers } from '../helpers/kafka.js'
import { seedRule } from './helpers/rules.js'
import { waitFor } from '../helpers/wait.js'
import { startChangeprop, testNames } from './helpers/start.js'

// Settings docs/changeprop.md documents, exercised against the test run's broker.

async function topicsWithPrefix (prefix: string): Promise<string[]> {
  const names = await listTopics(requireBrokers(), { clientId: 'test-topics', logger: pino({ level: 'silent' }) })
  return names.filter((name) => name.startsWith(prefix)).sort()
}

test('kafka.create_topics: false creates no topic at startup; the default creates the consumed, retry and error topics', async (t) => {
  // Topics managed by the operators: they created the consumed and retry topics (the rule's
  // consumers need them); the error topic, only ever produced to, is left to them as well.
  const names = testNames()
  const consumed = `${names.prefix}mediawiki.revision-create`
  const retry = retryTopicOf(names.service, 'mediawiki.revision-create', namingOf(names.prefix))
  await createTopic(consumed)
  await createTopic(retry)
  const off = await startChangeprop(t, { page_edit: seedRule('http://127.0.0.1:1') }, { kafka: { create_topics: false } }, names)
  await waitFor('change propagation to be ready', () => off.changeprop.isReady())
  assert.deepEqual(await topicsWithPrefix(off.prefix), [consumed, retry].sort(), 'no error topic was created')

  const on = await startChangeprop(t, { page_edit: seedRule('http://127.0.0.1:1') })
  assert.deepEqual(await topicsWithPrefix(on.prefix), [
    errorTopicOf(on.service, namingOf(on.prefix)),
    `${on.prefix}mediawiki.revision-create`,
    retryTopicOf(on.service, 'mediawiki.revision-create', namingOf(on.prefix))
  ].sort())
})

test('kafka.create_topics: false with a retry topic missing stops startup with SLUICE_ERR_CHANGEPROP_TOPICS_MISSING naming it', async (t) => {
  const names = testNames()
  const consumed = `${names.prefix}mediawiki.revision-create`
  await createTopic(consumed)
  const retry = retryTopicOf(names.service, 'mediawiki.revision-create', namingOf(names.prefix))
  await assert.rejects(startChangeprop(t, { page_edit: seedRule('http://127.0.0.1:1') }, { kafka: { create_topics: false } }, names), (err: unknown) => {
    const e = err as { code?: string, topics?: string[], message?: string }
    assert.equal(e.code, 'SLUICE_ERR_CHANGEPROP_TOPICS_MISSING')
    assert.deepEqual(e.topics, [retry])
    assert.match(e.message ?? '', /kafka\.create_topics/)
    return true
  })
  assert.deepEqual(await topicsWithPrefix(names.prefix), [consumed], 'nothing was created')
})

test('kafka.create_topics: false with a rule that delays names its missing delay topic; the default creates it', async (t) => {
  const names = testNames()
  const consumed = `${names.prefix}mediawiki.revision-create`
  await createTopic(consumed)
  await createTopic(retryTopicOf(names.service, 'mediawiki.revision-create', namingOf(names.prefix)))
  const delaying = { page_edit: { ...seedRule('http://127.0.0.1:1'), delay: 1000 } }
  const delayTopic = delayTopicOf(names.service, 'mediawiki.revision-create', namingOf(names.prefix))
  await assert.rejects(startChangeprop(t, delaying, { kafka: { create_topics: false } }, names), (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'SLUICE_ERR_CHANGEPROP_TOPICS_MISSING')
    assert.deepEqual((err as { topics?: string[] }).topics, [delayTopic])
    return true
  })
  const created = await startChangeprop(t, delaying)
  assert.ok((await topicsWithPrefix(created.prefix)).includes(delayTopicOf(created.service, 'mediawiki.revision-create', namingOf(created.prefix))))
})
