import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RuleSpec } from '../../src/changeprop/rules/schema.js'
import { timeOf } from '../../src/changeprop/runner.js'
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
