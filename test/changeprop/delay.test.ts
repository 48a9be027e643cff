import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import type { RuleSpec } from '../../src/changeprop/rules/schema.js'
import { fetchTopicOffsets } from '../../src/kafka/index.js'
import { delayTopicOf, namingOf, topicOf } from '../../src/stream-config/index.js'
import { committedOffsets, createTopic, produceMessages, requireBrokers } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { startSink } from './helpers/sink.js'
import { startChangeprop, testChangepropOverrides, testNames } from './helpers/start.js'
import { timeOf } from '../../src/changeprop/runner/due-time.js'
import { harness, message, metric, requestId, revisionCreate, signal, validateDelay, validateError } from './helpers/runner.js'

// `delay` and `delay_until`: the runner's side (the delay event, its wait, its requeue).

const delayTopic = 'eqiad.changeprop.delay.mediawiki.revision-create'

const delayedRule = (extra: Partial<RuleSpec> = {}) => (origin: string): RuleSpec => ({
  topic: 'mediawiki.revision-create',
  delay_until: '{{message.delay_until}}',
  exec: { uri: `${origin}/purge/{message.page_title}` },
  ...extra
})

test('delay_until: an event due later becomes a delay event in the delay topic, and nothing runs now', async (t) => {
  const h = await harness(t, delayedRule())
  const due = new Date(h.clock.now + 60000).toISOString()
  await h.runner.handleMain(message(revisionCreate({ delay_until: due })), signal)
  assert.equal(h.sink.requests.length, 0)
  const [delayed] = h.producer.on(delayTopic)
  assert.ok(delayed)
  assert.ok(validateDelay(delayed), JSON.stringify(validateDelay.errors))
  assert.equal(delayed.$schema, '/change-prop/delay/1.0.0')
  assert.equal(delayed.delay_until, due)
  assert.equal(delayed.emitter_id, 'changeprop#page_edit')
  assert.deepEqual(delayed.original_event, revisionCreate({ delay_until: due }))
  assert.equal(h.producer.records[0]?.key, 'k', 'the original key is kept')
  assert.equal((delayed.meta as { stream: string }).stream, 'changeprop.delay.mediawiki.revision-create')
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { source: 'main', result: 'delayed' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_produced_events_total', { kind: 'delay' }), 1)
})

test('delay_until: an event without one, or with one in the past, runs at once', async (t) => {
  const h = await harness(t, delayedRule())
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate({ delay_until: new Date(h.clock.now - 1000).toISOString() })), signal)
  assert.equal(h.sink.requests.length, 2)
  assert.equal(h.producer.records.length, 0)
})

test('delay: a fixed time after the event\'s meta.dt; with delay_until too, the later of the two', async (t) => {
  const h = await harness(t, delayedRule({ delay: 30000 }))
  const dt = new Date(h.clock.now - 10000).toISOString()
  await h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, dt } })), signal)
  assert.equal(h.producer.on(delayTopic)[0]?.delay_until, new Date(h.clock.now + 20000).toISOString())
  const later = new Date(h.clock.now + 50000).toISOString()
  await h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, dt }, delay_until: later })), signal)
  assert.equal(h.producer.on(delayTopic)[1]?.delay_until, later)
  assert.equal(h.sink.requests.length, 0)
})

test('delay_until that is no time sends the event to the error topic as a template failure', async (t) => {
  const h = await harness(t, delayedRule())
  await h.runner.handleMain(message(revisionCreate({ delay_until: 'next tuesday' })), signal)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.ok(validateError(error), JSON.stringify(validateError.errors))
  assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_TEMPLATE_RENDER')
  assert.equal(h.sink.requests.length, 0)
})

test('the times delay_until takes: ISO 8601, RFC 822, milliseconds; nothing means no delay', () => {
  assert.equal(timeOf('2024-05-01T10:00:13Z'), Date.parse('2024-05-01T10:00:13Z'))
  assert.equal(timeOf('Wed, 01 May 2024 10:00:13 +0000'), Date.parse('2024-05-01T10:00:13Z'))
  assert.equal(timeOf(1714557613000), 1714557613000)
  for (const none of [undefined, null, '']) assert.equal(timeOf(none), undefined)
  // Digits alone could be seconds or milliseconds: a text must be a date.
  for (const bad of ['1714557613', 'tomorrow', true, {}, Number.NaN]) assert.throws(() => timeOf(bad), /not a time/, String(bad))
})

test('a delay event runs its event once due, as a first attempt, with the delay hop in the chain', async (t) => {
  const h = await harness(t, delayedRule(), { dedupeByDefault: true })
  h.clock.now = Date.now()
  await h.runner.handleMain(message(revisionCreate({ delay_until: new Date(h.clock.now + 300).toISOString() })), signal)
  const [delayed] = h.producer.on(delayTopic)
  assert.ok(delayed)
  const handedOver = Date.now()
  h.clock.now = handedOver
  // The clock of the runner is the test's; the wait is real.
  await h.runner.handleRetry(message(delayed, delayTopic), signal)
  const [request] = h.sink.requests
  assert.ok(request, 'it ran')
  assert.ok(request.at - handedOver >= 290, `it ran ${request.at - handedOver} ms after the handover, before it was due`)
  assert.equal(request.path, '/purge/User%3AFoo%2FBar')
  assert.equal(request.headers['x-triggered-by'],
    `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar,changeprop.delay.mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
  assert.equal(await metric(h.registry, 'sluice_changeprop_succeeded_total', { source: 'delay' }), 1)
  // A first attempt: deduplicated by its id like any.
  await h.runner.handleRetry(message(delayed, delayTopic, '1'), signal)
  assert.equal(h.sink.requests.length, 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { source: 'delay', result: 'duplicate' }), 1)
})

test('a delay event due later than delayHoldMaxMs waits that long, then goes back to the end of its topic unchanged', async (t) => {
  const h = await harness(t, delayedRule(), { delayHoldMaxMs: 100 })
  h.clock.now = Date.now()
  await h.runner.handleMain(message(revisionCreate({ delay_until: new Date(h.clock.now + 3600000).toISOString() })), signal)
  const [record] = h.producer.records
  assert.ok(record)
  const started = Date.now()
  await h.runner.handleRetry({ ...message(JSON.parse(String(record.value)), delayTopic), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }, signal)
  assert.ok(Date.now() - started >= 95, 'it was held for the hold time first')
  assert.equal(h.sink.requests.length, 0)
  const requeued = h.producer.records[1]
  assert.ok(requeued)
  assert.equal(requeued.topic, delayTopic)
  assert.equal(String(requeued.value), String(record.value), 'the same event')
  assert.equal(requeued.key, 'k')
  assert.equal(requeued.headers?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { source: 'delay', result: 'requeued' }), 1)
})

test('delay events of other rules are left alone; broken ones go to the error topic', async (t) => {
  const h = await harness(t, delayedRule())
  await h.runner.handleRetry(message({ meta: { stream: 'x' }, emitter_id: 'changeprop#other', delay_until: new Date().toISOString(), original_event: revisionCreate() }, delayTopic), signal)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { source: 'delay', result: 'foreign' }), 1)
  await h.runner.handleRetry(message({ meta: { stream: 'x' }, emitter_id: 'changeprop#page_edit', delay_until: 'never', original_event: revisionCreate() }, delayTopic), signal)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.equal(error?.error_code, 'SLUICE_ERR_CHANGEPROP_EVENT_MALFORMED')
  assert.equal(h.sink.requests.length, 0)
})

// Against the broker, through a restart of a real `sluice changeprop` process.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Starts `sluice changeprop --config FILE` as a child process, as an operator would run it. */
function sluiceChangeprop (t: TestContext, file: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/bin/sluice.ts'), 'changeprop', '--config', file], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: requireBrokers().join(',') },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return child
}

function job (title: string, extra: Record<string, unknown> = {}): { key: string, value: string } {
  const event = {
    $schema: '/mediawiki/job/1.0.0',
    meta: { stream: 'mediawiki.job.cdnPurge', uri: `https://en.wikipedia.org/wiki/${title}`, domain: 'en.wikipedia.org', dt: new Date().toISOString(), id: randomUUID(), request_id: randomUUID() },
    type: 'cdnPurge',
    page_title: title,
    ...extra
  }
  return { key: title, value: JSON.stringify(event) }
}

test('delayed reactions survive a SIGKILL of sluice changeprop: each runs once, no earlier than its time, and never blocks its partition', async (t) => {
  const target = await startSink()
  t.after(async () => { await target.close() })
  const names = testNames()
  const rules: Record<string, RuleSpec> = {
    cdn_purge: { topic: 'mediawiki.job.cdnPurge', delay_until: '{{message.delay_until}}', exec: { method: 'post', uri: `${target.origin}/purge/{message.page_title}` } },
    // A fixed delay after each event's meta.dt.
    later: { topic: 'mediawiki.job.cdnPurge', delay: 14000, exec: { uri: `${target.origin}/later/{message.page_title}` } }
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-delay-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  const overrides = testChangepropOverrides(names, rules, { log_level: 'warn', delay_hold_max_ms: 5000 })
  // The shortest session the broker allows: the killed member's partitions move on 6 s after the kill.
  await writeFile(file, yaml.dump({ ...overrides, kafka: { ...overrides.kafka, session_timeout_ms: 6000 } }))
  const topic = topicOf('mediawiki.job.cdnPurge', namingOf(names.prefix))
  await createTopic(topic)

  const first = sluiceChangeprop(t, file)
  const now = Date.now()
  const due = { Purge_soon: now + 16000, Purge_later: now + 20000 }
  // Each event gets its own time to run; the last one none, so it runs at once for cdn_purge.
  await produceMessages(topic, [
    job('Purge_later', { delay_until: new Date(due.Purge_later).toISOString() }),
    job('Purge_soon', { delay_until: new Date(due.Purge_soon).toISOString() }),
    job('Purge_now')
  ])
  // The event behind the delayed ones ran at once: their wait is not in the partition.
  await target.waitForRequests(1, { filter: (r) => r.path === '/purge/Purge_now', timeoutMs: 60000 })
  // The main topic is done with (committed by both rules): what is left waits in the delay topic.
  await waitFor('both rules to commit the main topic', async () => {
    const committed = await Promise.all(['cdn_purge', 'later'].map(async (rule) => (await committedOffsets(`${names.service}-${rule}`, topic))[0]))
    return committed.every((offset) => offset === '3')
  }, 30000, 100)
  assert.equal(target.requests.filter((r) => r.path !== '/purge/Purge_now').length, 0, 'nothing delayed ran yet')
  first.kill('SIGKILL')
  await once(first, 'exit')

  sluiceChangeprop(t, file)
  await target.waitForRequests(5, { timeoutMs: 60000, filter: (r) => r.path !== '/purge/Purge_now' })
  // Let a copy that would run twice show itself: every delay event is read, and committed, once.
  await waitFor('the delay topic to be consumed to its end', async () => {
    const delayTopic = delayTopicOf(names.service, 'mediawiki.job.cdnPurge', namingOf(names.prefix))
    const [end] = await fetchTopicOffsets(requireBrokers(), delayTopic)
    const groups = [`${names.service}-cdn_purge-retry`, `${names.service}-later-retry`]
    const committed = await Promise.all(groups.map(async (group) => (await committedOffsets(group, delayTopic))[0]))
    return end !== undefined && committed.every((offset) => offset === end.high)
  }, 30000, 200)
  const runs = (path: string): number[] => target.requests.filter((r) => r.path === path).map((r) => r.at)
  for (const [title, at] of Object.entries(due)) {
    const ran = runs(`/purge/${title}`)
    assert.equal(ran.length, 1, `${title} ran once`)
    assert.ok((ran[0] ?? 0) >= at, `${title} ran ${at - (ran[0] ?? 0)} ms before its delay_until`)
    t.diagnostic(`${title}: ran ${(ran[0] ?? 0) - at} ms after its delay_until`)
  }
  for (const title of ['Purge_later', 'Purge_soon', 'Purge_now']) {
    const ran = runs(`/later/${title}`)
    assert.equal(ran.length, 1, `${title} ran once for the rule with delay`)
    assert.ok((ran[0] ?? 0) >= now + 14000, `${title} ran before meta.dt + delay`)
  }
  assert.equal(runs('/purge/Purge_now').length, 1, 'the event that ran at once did not run again after the restart')
})

test('shutdown does not wait for delayed events; after the restart they run once, on time', async (t) => {
  const target = await startSink()
  t.after(async () => { await target.close() })
  const names = testNames()
  const rules: Record<string, RuleSpec> = {
    cdn_purge: { topic: 'mediawiki.job.cdnPurge', delay_until: '{{message.delay_until}}', exec: { method: 'post', uri: `${target.origin}/purge/{message.page_title}` } }
  }
  const topic = topicOf('mediawiki.job.cdnPurge', namingOf(names.prefix))
  await createTopic(topic)
  // In-flight events would get all of the 20 s but the last 2 s.
  const settings = { shutdown_timeout_ms: 20000 }
  const first = await startChangeprop(t, rules, settings, names)
  const dueAt = Date.now() + 12000
  await produceMessages(topic, [job('Purge_me', { delay_until: new Date(dueAt).toISOString() })])
  await waitFor('the delayed event to wait', async () => /sluice_changeprop_waiting_events\{[^}]*source="delay"[^}]*\} 1\n/.test(await (await fetch(`${first.admin}/metrics`)).text()), 30000, 100)
  const closing = Date.now()
  await first.changeprop.close()
  const closedInMs = Date.now() - closing
  assert.ok(closedInMs < 9000, `closing took ${closedInMs} ms: it waited for the delayed event`)

  await startChangeprop(t, rules, settings, names)
  await target.waitForRequests(1, { timeoutMs: 60000 })
  assert.ok((target.requests[0]?.at ?? 0) >= dueAt, 'no earlier than its delay_until')
  const delayTopic = delayTopicOf(names.service, 'mediawiki.job.cdnPurge', namingOf(names.prefix))
  await waitFor('the delay event to be committed', async () => (await committedOffsets(`${names.service}-cdn_purge-retry`, delayTopic))[0] === '1', 30000, 100)
  assert.equal(target.requests.length, 1, 'once')
  t.diagnostic(`closed in ${closedInMs} ms; ran ${(target.requests[0]?.at ?? 0) - dueAt} ms after its delay_until`)
})
