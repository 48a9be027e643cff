import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { harness, message, metric, requestId, revisionCreate, signal, validateError, validateResourceChange, validateRetry } from '../helpers/runner.js'
import type { RuleSpec } from '../../../src/changeprop/rules/schema.js'
import { seedRule } from '../helpers/rules.js'

test('the seed rule: one GET with the templated path, headers and query', async (t) => {
  const h = await harness(t, seedRule)
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.sink.requests.length, 1)
  const [request] = h.sink.requests
  assert.ok(request)
  assert.equal(request.method, 'GET')
  assert.equal(request.path, '/en.wikipedia.org/api/rest_v1/page/html/User%3AFoo/Bar/1234?redirect=false')
  assert.equal(request.headers['cache-control'], 'no-cache')
  assert.equal(request.headers['x-restbase-parentrevision'], '1233')
  assert.equal(request.headers['if-unmodified-since'], 'Tue, 20 Feb 1990 19:31:13 +0000')
  assert.equal(request.headers['x-request-id'], requestId)
  assert.equal(request.headers['x-triggered-by'], `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
  assert.equal(request.headers['user-agent'], 'sluice-test')
  assert.deepEqual(h.producer.records, [])
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'matched', source: 'main' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_succeeded_total', { rule: 'page_edit' }), 1)
})

test('events that do not match run nothing, canary events included', async (t) => {
  const h = await harness(t, (origin) => ({ ...seedRule(origin), match: { page_title: '/^Main/' } }))
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate({ page_title: 'Main_Page', meta: { ...revisionCreate().meta as object, domain: 'canary' } })), signal)
  assert.equal(h.sink.requests.length, 0)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'unmatched' }), 2)
})

test('a retryable failure produces a retry event to the retry topic of the consumed topic', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => 503
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [retry] = h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create')
  assert.ok(retry)
  assert.ok(validateRetry(retry), JSON.stringify(validateRetry.errors))
  assert.equal(h.producer.records[0]?.key, 'k', 'the original key is kept')
  assert.equal(retry.$schema, '/change-prop/retry/1.0.0')
  assert.equal(retry.emitter_id, 'changeprop#page_edit')
  assert.equal(retry.retries_left, 2)
  assert.equal(retry.error_status, 503)
  assert.equal(retry.reason, 'status 503')
  assert.equal(retry.triggered_by, `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
  assert.deepEqual(retry.original_event, revisionCreate())
  const meta = retry.meta as Record<string, unknown>
  assert.equal(meta.stream, 'changeprop.retry.mediawiki.revision-create')
  assert.equal(meta.uri, 'https://en.wikipedia.org/wiki/User:Foo/Bar')
  assert.equal(meta.dt, new Date(h.clock.now).toISOString())
})

test('retries run after retry_delay * retry_factor^n, extend the chain, and end in the error topic', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => 500
  const realNow = Date.now()
  h.clock.now = realNow
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [first] = h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create')
  assert.ok(first)

  // First retry: due 10 ms after the retry event's time. It is handed over when the clock
  // says 200 ms before that, so it must wait 200 ms before calling the service.
  h.clock.now = Date.parse((first.meta as { dt: string }).dt) + 10 - 200
  const retryTopic = 'eqiad.changeprop.retry.mediawiki.revision-create'
  const handedOver = Date.now()
  await h.runner.handleRetry(message(first, retryTopic), signal)
  assert.ok(h.sink.requests[1], 'the retry ran')
  const waited = (h.sink.requests[1]?.at ?? 0) - handedOver
  assert.ok(waited >= 199, `the retry called the service ${waited} ms after the handover, before it was due`)
  assert.equal(h.sink.requests[1]?.headers['x-triggered-by'],
    `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar,changeprop.retry.mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
  const second = h.producer.on(retryTopic)[1]
  assert.ok(second)
  assert.equal(second.retries_left, 1)

  // The second retry waits retry_delay * 6 = 60 ms from its own time.
  const secondDue = Date.parse((second.meta as { dt: string }).dt) + 60
  h.clock.now = Date.now()
  await h.runner.handleRetry(message(second, retryTopic), signal)
  assert.ok(Date.now() >= secondDue - 1, 'waited for the 60 ms delay')
  assert.equal(h.sink.requests.length, 3, '1 + retry_limit attempts')
  assert.equal(h.producer.on(retryTopic).length, 2, 'no third retry')
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.ok(validateError(error), JSON.stringify(validateError.errors))
  assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_RETRIES_EXHAUSTED')
  assert.equal(error.emitter_id, 'changeprop#page_edit')
  assert.deepEqual(JSON.parse(error.raw_event as string).original_event, revisionCreate(), 'raw_event is the retry event as handled')
  assert.equal((error.details as { status: number }).status, 500)
  assert.equal(await metric(h.registry, 'sluice_changeprop_errors_total', { reason: 'exhausted' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_retries_total', { rule: 'page_edit' }), 2)
})

test('retry_limit: 0 means no retry at all', async (t) => {
  const h = await harness(t, (origin) => ({ ...seedRule(origin), retry_limit: 0 }))
  h.sink.respond = () => 503
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 0)
  assert.equal(h.producer.on('eqiad.changeprop.error').length, 1)
})

test('a status outside retry_on goes straight to the error topic with status, headers and body', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => (res) => { res.writeHead(400, { 'x-why': 'bad' }).end('{"title":"bad title"}') }
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 0)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.ok(validateError(error), JSON.stringify(validateError.errors))
  assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_HTTP_STATUS')
  const details = error.details as { status: number, headers: Record<string, string>, body: string }
  assert.equal(details.status, 400)
  assert.equal(details.headers['x-why'], 'bad')
  assert.equal(details.body, '{"title":"bad title"}')
  assert.deepEqual(JSON.parse(error.raw_event as string), revisionCreate())
  assert.equal(error.triggered_by, `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
})

test('ignored statuses count as success and the next step still runs; a failure stops the rest', async (t) => {
  const h = await harness(t, (origin) => ({
    topic: 'mediawiki.revision-create',
    ignore: { status: [412, '40x'] },
    exec: [{ uri: `${origin}/one` }, { uri: `${origin}/two` }, { uri: `${origin}/three` }, { uri: `${origin}/four` }]
  }))
  h.sink.respond = (request) => request.path === '/one' ? 412 : request.path === '/two' ? 404 : request.path === '/three' ? 500 : 200
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.deepEqual(h.sink.requests.map((r) => r.path), ['/one', '/two', '/three'])
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 1)
})

test('network errors and timeouts are retried', async (t) => {
  const h = await harness(t, (origin) => ({ topic: 'mediawiki.revision-create', retry_on: { status: [] }, exec: [{ uri: `${origin}/slow`, timeout: 30 }] }))
  h.sink.respond = () => () => { /* never answers */ }
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [retry] = h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create')
  assert.ok(retry)
  assert.equal(retry.error_status, 504)

  const closed = await harness(t, () => ({ topic: 'mediawiki.revision-create', exec: { uri: 'http://127.0.0.1:1/nothing-listens' } }))
  await closed.runner.handleMain(message(revisionCreate()), signal)
  const [networkRetry] = closed.producer.on('eqiad.changeprop.retry.mediawiki.revision-create')
  assert.ok(networkRetry)
  assert.equal(networkRetry.error_status, 502)
})

test('malformed messages go to the error topic with the raw text', async (t) => {
  const h = await harness(t, seedRule)
  await h.runner.handleMain(message('not json at all'), signal)
  await h.runner.handleMain(message('{}'), signal)
  await h.runner.handleMain(message('[1,2]'), signal)
  const errors = h.producer.on('eqiad.changeprop.error')
  assert.equal(errors.length, 3)
  for (const error of errors) {
    assert.ok(validateError(error), JSON.stringify(validateError.errors))
    assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_EVENT_MALFORMED')
  }
  assert.equal(errors[0]?.raw_event, 'not json at all')
  assert.equal(errors[1]?.raw_event, '{}')
  assert.equal(h.sink.requests.length, 0)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'malformed' }), 3)
})

test('retry events of other rules are left alone; broken retry events go to the error topic', async (t) => {
  const h = await harness(t, seedRule)
  const topic = 'eqiad.changeprop.retry.mediawiki.revision-create'
  await h.runner.handleRetry(message({ meta: { stream: 'x', dt: new Date().toISOString() }, emitter_id: 'changeprop#other', retries_left: 1, original_event: revisionCreate() }, topic), signal)
  assert.equal(h.sink.requests.length, 0)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'foreign' }), 1)
  await h.runner.handleRetry(message({ meta: { stream: 'x' }, emitter_id: 'changeprop#page_edit', retries_left: 'two' }, topic), signal)
  assert.equal(h.producer.on('eqiad.changeprop.error').length, 1)
})

test('producing the retry event is retried until the broker takes it; shutdown leaves it unfinished', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => 503
  h.producer.failures = 3
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 1)

  h.producer.failures = Number.POSITIVE_INFINITY
  const stop = new AbortController()
  const pending = h.runner.handleMain(message(revisionCreate()), stop.signal)
  await h.sink.waitForRequests(2)
  setTimeout(() => stop.abort(new Error('shutdown')), 20)
  await assert.rejects(pending, /shutdown|broker unavailable/)
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 1)
})

test('dedupe: an event id runs once per window, retries are never deduplicated, unfinished events are not marked', async (t) => {
  const h = await harness(t, seedRule, { dedupeByDefault: true })
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.sink.requests.length, 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'duplicate' }), 1)
  const retry = { meta: { stream: 'changeprop.retry.mediawiki.revision-create', dt: new Date(h.clock.now - 1000).toISOString() }, emitter_id: 'changeprop#page_edit', retries_left: 2, original_event: revisionCreate() }
  await h.runner.handleRetry(message(retry, 'eqiad.changeprop.retry.mediawiki.revision-create'), signal)
  assert.equal(h.sink.requests.length, 2, 'a retry of a seen event still runs')

  // An event whose outcome never became durable is not remembered: its replay runs.
  h.sink.respond = () => 503
  h.producer.failures = Number.POSITIVE_INFINITY
  const stop = new AbortController()
  const pending = h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, id: 'e2' } })), stop.signal)
  await h.sink.waitForRequests(3)
  stop.abort(new Error('crash'))
  await assert.rejects(pending)
  h.producer.failures = 0
  h.sink.respond = () => 200
  await h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, id: 'e2' } })), signal)
  assert.equal(h.sink.requests.length, 4)
})

test('dedupe: a copy that arrives while the event is still running waits for it and is then skipped', async (t) => {
  const h = await harness(t, seedRule, { dedupeByDefault: true })
  const held: ServerResponse[] = []
  h.sink.respond = () => (res) => { held.push(res) }
  const first = h.runner.handleMain(message(revisionCreate(), undefined, '0'), signal)
  await h.sink.waitForRequests(1)
  // The copy (another offset, or another partition) is read while the first is in flight.
  const copy = h.runner.handleMain(message(revisionCreate(), undefined, '1'), signal)
  for (const res of held.splice(0)) res.writeHead(200).end('{}')
  await Promise.all([first, copy])
  assert.equal(h.sink.requests.length, 1, 'the copy did not run')
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'duplicate' }), 1)

  // When the running one is abandoned (shutdown), nothing was recorded: the waiting copy runs.
  const stop = new AbortController()
  const other = revisionCreate({ meta: { ...revisionCreate().meta as object, id: 'e3' } })
  h.sink.respond = () => (res) => { held.push(res) }
  const abandoned = h.runner.handleMain(message(other, undefined, '2'), stop.signal)
  await h.sink.waitForRequests(2)
  const waiting = h.runner.handleMain(message(other, undefined, '3'), signal)
  h.sink.respond = () => 200
  stop.abort(new Error('shutdown'))
  await assert.rejects(abandoned)
  await waiting
  assert.equal(h.sink.requests.length, 3, 'the copy ran after the first was abandoned')
  for (const res of held.splice(0)) res.destroy()
})

test('dedupe by key template as well as by id', async (t) => {
  const h = await harness(t, (origin) => ({ ...seedRule(origin), dedupe: { key: '{{message.meta.domain}}:{{message.rev_id}}' } }))
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, id: 'other-id' } })), signal)
  await h.runner.handleMain(message(revisionCreate({ rev_id: 1235, meta: { ...revisionCreate().meta as object, id: 'third-id' } })), signal)
  assert.equal(h.sink.requests.length, 2)
})

test('sampling keeps a stable subset', async (t) => {
  const h = await harness(t, (origin) => ({
    topic: 'mediawiki.revision-create',
    sample: { rate: 0.5, hash_template: '{{message.meta.domain}}-{{message.page_title}}' },
    exec: { uri: `${origin}/{{message.meta.domain}}/{{message.page_title}}` }
  }))
  await h.runner.handleMain(message(revisionCreate({ page_title: 'N0ryO6Lrp' })), signal)
  await h.runner.handleMain(message(revisionCreate({ page_title: 'rpiwQuPlA' })), signal)
  assert.deepEqual(h.sink.requests.map((r) => r.path), ['/en.wikipedia.org/rpiwQuPlA'])
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'sampled_out' }), 1)
})

test('limiters: failures of a key use up its budget and later events for it are skipped', async (t) => {
  const limiters = new Map([['failures', [{ intervalMs: 60000, limit: 2 }]]])
  const h = await harness(t, (origin) => ({ ...seedRule(origin), retry_limit: 0, limiters: { failures: 'html:{message.meta.uri}' } }), { limiters })
  h.sink.respond = () => 503
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate()), signal)
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.sink.requests.length, 2)
  assert.equal(await metric(h.registry, 'sluice_changeprop_events_total', { result: 'rate_limited' }), 1)
  await h.runner.handleMain(message(revisionCreate({ meta: { ...revisionCreate().meta as object, uri: 'https://en.wikipedia.org/wiki/Other' } })), signal)
  assert.equal(h.sink.requests.length, 3, 'other keys are not limited')
})

test('cases: the first matching case runs, with regex captures in templates', async (t) => {
  const h = await harness(t, (origin) => ({
    topic: 'mediawiki.revision-create',
    cases: [
      { match: { page_title: '/^Main/' }, exec: { uri: `${origin}/main` } },
      { match: { meta: { uri: '/\\/wiki\\/(?<title>.+)$/' } }, exec: { uri: `${origin}/title/{match.meta.uri.title}` } },
      { exec: { uri: `${origin}/never` } }
    ]
  }))
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.deepEqual(h.sink.requests.map((r) => r.path), ['/title/User%3AFoo%2FBar'])
})

test('a template that fails for an event sends it to the error topic, not to retry', async (t) => {
  const h = await harness(t, (origin) => ({ topic: 'mediawiki.revision-create', exec: { uri: `${origin}/x`, headers: { 'if-unmodified-since': '{{date(message.when)}}' } } }))
  await h.runner.handleMain(message(revisionCreate({ when: 'not a date' })), signal)
  assert.equal(h.sink.requests.length, 0)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_TEMPLATE_RENDER')
  assert.equal(await metric(h.registry, 'sluice_changeprop_errors_total', { reason: 'template' }), 1)
})

function resourceChangeRule (): RuleSpec {
  return {
    topic: 'mediawiki.revision-create',
    exec: {
      method: 'post',
      uri: '/sys/queue/events',
      body: [{
        $schema: '/resource_change/1.0.0',
        meta: { stream: 'resource_change', uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{message.page_title}', domain: '{{message.meta.domain}}' },
        tags: ['restbase']
      }]
    }
  }
}

test('an exec step can produce events, carrying the chain and the root event', async (t) => {
  const h = await harness(t, resourceChangeRule)
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [event] = h.producer.on('eqiad.resource_change')
  assert.ok(event)
  assert.ok(validateResourceChange(event), JSON.stringify(validateResourceChange.errors))
  const meta = event.meta as Record<string, unknown>
  assert.equal(meta.uri, 'https://en.wikipedia.org/api/rest_v1/page/html/User%3AFoo%2FBar')
  assert.equal(meta.request_id, requestId)
  assert.equal(meta.dt, new Date(h.clock.now).toISOString())
  assert.equal(typeof meta.id, 'string')
  assert.equal(event.triggered_by, `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/User:Foo/Bar`)
  assert.deepEqual(event.root_event, { signature: 'https://en.wikipedia.org/wiki/User:Foo/Bar', dt: '1990-02-20T19:31:13+00:00' })
  assert.equal(await metric(h.registry, 'sluice_changeprop_produced_events_total', { kind: 'exec' }), 1)
})

test('events of an exec step that Kafka refuses for good are not retried: the event goes to the error topic', async (t) => {
  const h = await harness(t, resourceChangeRule)
  h.producer.refusing.add('eqiad.resource_change')
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.producer.on('eqiad.changeprop.retry.mediawiki.revision-create').length, 0)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.ok(validateError(error), JSON.stringify(validateError.errors))
  assert.equal(error.error_code, 'SLUICE_ERR_CHANGEPROP_PRODUCE_REFUSED')
  assert.equal(await metric(h.registry, 'sluice_changeprop_errors_total', { reason: 'refused' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_produce_refused_total', { kind: 'exec', outcome: 'error_event' }), 1)
})

test('a retry event Kafka refuses for good becomes a bounded error event; if that is refused too, the message still finishes', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => 503
  h.producer.refusing.add('eqiad.changeprop.retry.mediawiki.revision-create')
  await h.runner.handleMain(message(revisionCreate({ padding: 'x'.repeat(5000) })), signal)
  const [error] = h.producer.on('eqiad.changeprop.error')
  assert.ok(error)
  assert.ok(validateError(error), JSON.stringify(validateError.errors))
  assert.equal(Buffer.byteLength(error.raw_event as string), 1024)
  assert.match(error.message as string, /^Kafka refused the retry event for good \(MESSAGE_TOO_LARGE\); the event had failed with: exec request answered 503 \[raw_event truncated: first 1024 of \d+ bytes\]$/)
  assert.deepEqual(error.details, { status: 503 })
  assert.equal(h.producer.attempts, 2, 'a refusal is not tried again')

  h.producer.refusing.add('eqiad.changeprop.error')
  await h.runner.handleMain(message(revisionCreate({ padding: 'x'.repeat(5000) })), signal)
  assert.equal(h.producer.on('eqiad.changeprop.error').length, 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_produce_refused_total', { kind: 'retry', outcome: 'error_event' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_produce_refused_total', { kind: 'retry', outcome: 'dropped' }), 1)
})

test('loop protection: an event already in its own chain is not produced again', async (t) => {
  const h = await harness(t, () => ({
    topic: 'resource_change',
    exec: { method: 'post', uri: '/sys/queue/events', body: { meta: { stream: 'resource_change', uri: '{{message.meta.uri}}' } } }
  }))
  const incoming = {
    meta: { stream: 'resource_change', uri: 'https://en.wikipedia.org/api/rest_v1/page/html/P', request_id: requestId, dt: '2024-01-01T00:00:00Z' },
    triggered_by: `req:${requestId},mediawiki.revision-create:https://en.wikipedia.org/wiki/P`
  }
  await h.runner.handleMain(message(incoming, 'eqiad.resource_change'), signal)
  assert.equal(h.producer.records.length, 0, 'the rule would re-trigger its own event')
  assert.equal(await metric(h.registry, 'sluice_changeprop_loops_prevented_total', { rule: 'page_edit' }), 1)
  assert.equal(await metric(h.registry, 'sluice_changeprop_succeeded_total', { rule: 'page_edit' }), 1, 'the event itself is finished')
})

test('loop protection: chains longer than max_chain_length stop', async (t) => {
  const h = await harness(t, () => ({
    topic: 'resource_change',
    exec: { method: 'post', uri: '/sys/queue/events', body: { meta: { stream: 'resource_change', uri: '{{message.meta.uri}}/next' } } }
  }))
  const hops = ['a:1', 'b:2', 'c:3', 'd:4']
  await h.runner.handleMain(message({ meta: { stream: 'resource_change', uri: 'u' }, triggered_by: hops.slice(0, 3).join(',') }, 'eqiad.resource_change'), signal)
  assert.equal(h.producer.records.length, 1, 'four hops plus the new one is the limit of 5')
  await h.runner.handleMain(message({ meta: { stream: 'resource_change', uri: 'u' }, triggered_by: hops.join(',') }, 'eqiad.resource_change'), signal)
  assert.equal(h.producer.records.length, 1)
})
