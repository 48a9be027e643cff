import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { RuleSpec } from '../../src/changeprop/index.js'
import { namingOf, topicOf } from '../../src/stream-config/index.js'
import { createTopic, produceMessages } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { startSink } from './helpers/sink.js'
import { startChangeprop, testNames } from './helpers/start.js'
import { parseHttpDate, parseRetryAfter, retryAfterDelayMs } from '../../src/changeprop/retry-after.js'
import { seedRule } from './helpers/rules.js'
import { harness, message, metric, revisionCreate, signal, validateRetry, validateRetryNotBefore } from './helpers/runner.js'

const now = Date.parse('2015-10-21T07:28:00Z')

test('Retry-After in delta-seconds is a wait from now', () => {
  assert.deepEqual(parseRetryAfter('120'), { seconds: 120 })
  assert.equal(retryAfterDelayMs({ 'retry-after': '120' }, now, 600000), 120000)
  assert.equal(retryAfterDelayMs({ 'retry-after': ' 0 ' }, now, 600000), 0)
})

test('Retry-After as an HTTP-date, in all three of its forms, is a wait until then', () => {
  const at = Date.parse('2015-10-21T07:30:00Z')
  assert.equal(parseHttpDate('Wed, 21 Oct 2015 07:30:00 GMT'), at)
  assert.equal(parseHttpDate('Wednesday, 21-Oct-15 07:30:00 GMT'), at)
  assert.equal(parseHttpDate('Wed Oct 21 07:30:00 2015'), at)
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), Date.parse('1994-11-06T08:49:37Z'), 'asctime pads the day with a space')
  assert.equal(retryAfterDelayMs({ 'retry-after': 'Wed, 21 Oct 2015 07:30:00 GMT' }, now, 600000), 120000)
})

test('a date is read against the answer\'s own Date header, so a target whose clock is off gets the wait it meant', () => {
  // The target's clock is an hour ahead: it asks for two minutes after its own now.
  const headers = { 'retry-after': 'Wed, 21 Oct 2015 08:30:00 GMT', date: 'Wed, 21 Oct 2015 08:28:00 GMT' }
  assert.equal(retryAfterDelayMs(headers, now, 600000), 120000)
})

test('a wait is cut to the maximum, and a date in the past asks for none', () => {
  assert.equal(retryAfterDelayMs({ 'retry-after': '86400' }, now, 600000), 600000)
  assert.equal(retryAfterDelayMs({ 'retry-after': 'Wed, 21 Oct 2015 07:00:00 GMT' }, now, 600000), 0)
})

test('what is neither a delay nor an HTTP-date is no Retry-After', () => {
  for (const value of ['', '-5', '1.5', '5s', 'soon', '2015-10-21T07:30:00Z', 'Wed, 21 Oct 2015 07:30:00 +0000', 'Wed, 32 Oct 2015 07:30:00 GMT']) {
    assert.equal(parseRetryAfter(value), undefined, value)
  }
  assert.equal(retryAfterDelayMs({}, now, 600000), undefined)
  assert.equal(retryAfterDelayMs({ 'retry-after': 'tomorrow' }, now, 600000), undefined)
})

// The runner: a target's Retry-After travels in the retry event, and the retry waits for it.

const retryTopic = 'eqiad.changeprop.retry.mediawiki.revision-create'

test('a 429 with Retry-After becomes a retry event with not_before (/change-prop/retry/1.1.0), although retry_on does not list 429', async (t) => {
  const h = await harness(t, seedRule)
  h.sink.respond = () => (res) => { res.writeHead(429, { 'retry-after': '120' }).end('{"title":"slow down"}') }
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [retry] = h.producer.on(retryTopic)
  assert.ok(retry, 'retried, not sent to the error topic')
  assert.equal(h.producer.on('eqiad.changeprop.error').length, 0)
  assert.equal(retry.$schema, '/change-prop/retry/1.1.0')
  assert.ok(validateRetryNotBefore(retry), JSON.stringify(validateRetryNotBefore.errors))
  assert.equal(retry.not_before, new Date(h.clock.now + 120000).toISOString())
  assert.equal(retry.error_status, 429)
  assert.match(await h.registry.getSingleMetricAsString('sluice_changeprop_retry_after_seconds'), /_sum\{rule="page_edit"\} 120\n/)
})

test('a Retry-After longer than retry_after.max_delay is cut to it; one not honoured leaves the retry event as the reference wrote it', async (t) => {
  const h = await harness(t, (origin) => ({ ...seedRule(origin), retry_after: { max_delay: 30000 } }))
  h.sink.respond = () => (res) => { res.writeHead(503, { 'retry-after': '86400' }).end() }
  await h.runner.handleMain(message(revisionCreate()), signal)
  assert.equal(h.producer.on(retryTopic)[0]?.not_before, new Date(h.clock.now + 30000).toISOString())

  const none = await harness(t, (origin) => ({ ...seedRule(origin), retry_after: { statuses: [] } }))
  none.sink.respond = () => (res) => { res.writeHead(503, { 'retry-after': '60' }).end() }
  await none.runner.handleMain(message(revisionCreate()), signal)
  const [plain] = none.producer.on(retryTopic)
  assert.equal(plain?.$schema, '/change-prop/retry/1.0.0')
  assert.equal(plain?.not_before, undefined)
  assert.ok(validateRetry(plain), JSON.stringify(validateRetry.errors))
})

test('a retry runs no earlier than its not_before, although its retry_delay is long past', async (t) => {
  const h = await harness(t, seedRule)
  h.clock.now = Date.now()
  h.sink.respond = (_request, index) => index === 0 ? (res) => { res.writeHead(503, { 'retry-after': '1' }).end() } : 200
  await h.runner.handleMain(message(revisionCreate()), signal)
  const [retry] = h.producer.on(retryTopic)
  assert.ok(retry)
  // retry_delay is 10 ms: due at once by it, but the target asked for a second.
  const handedOver = Date.now()
  h.clock.now = handedOver
  await h.runner.handleRetry(message(retry, retryTopic), signal)
  // not_before is a second after the first answer, measured on the harness's clock; the retry
  // is handed over later, so what is left of that second is what the runner must still wait.
  const notBefore = Date.parse(String(retry.not_before))
  assert.ok(notBefore - handedOver > 500, `not_before is ${notBefore - handedOver} ms after the handover`)
  const calledAt = h.sink.requests[1]?.at ?? 0
  assert.ok(calledAt >= notBefore - 2, `the retry called the target ${notBefore - calledAt} ms before its not_before`)
  assert.equal(await metric(h.registry, 'sluice_changeprop_succeeded_total', { source: 'retry' }), 1)
})

// Against the broker: a target's Retry-After holds back only the event it answered.

function edit (title: string): { key: string, value: string } {
  const event = {
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: { stream: 'mediawiki.revision-create', uri: `https://en.wikipedia.org/wiki/${title}`, domain: 'en.wikipedia.org', dt: new Date().toISOString(), id: randomUUID(), request_id: randomUUID() },
    page_title: title
  }
  return { key: title, value: JSON.stringify(event) }
}

test('a 429 from one key\'s target delays neither another key\'s events nor another rule\'s, and its retry comes no earlier than asked (delta-seconds and HTTP-date)', async (t) => {
  const askedMs = 6000
  let askedDate = ''
  const target = await startSink((request) => {
    const [, rule, title] = request.path.split('/')
    const first = target.requests.filter((r) => r.path === request.path).length === 1
    if (rule !== 'render' || !first) return 200
    if (title === 'Slow_delta') return (res) => { res.writeHead(429, { 'retry-after': String(askedMs / 1000) }).end() }
    if (title === 'Slow_date') {
      askedDate = new Date(Date.now() + askedMs).toUTCString()
      return (res) => { res.writeHead(429, { 'retry-after': askedDate }).end() }
    }
    // Another key's first answer fails without Retry-After: its retry is due at once.
    if (title === 'Flaky') return 503
    return 200
  })
  t.after(async () => { await target.close() })
  const rules: Record<string, RuleSpec> = {
    // One event at a time, so waiting in place for the 429 would hold every later event.
    render: { topic: 'mediawiki.revision-create', concurrency: 1, exec: { uri: `${target.origin}/render/{message.page_title}` } },
    purge: { topic: 'mediawiki.revision-create', concurrency: 1, exec: { uri: `${target.origin}/purge/{message.page_title}` } }
  }
  const names = testNames()
  const topic = topicOf('mediawiki.revision-create', namingOf(names.prefix))
  await createTopic(topic)
  const running = await startChangeprop(t, rules, { max_waiting_events: 10 }, names)
  await waitFor('change propagation to be ready', () => running.changeprop.isReady())
  const others = ['Other_1', 'Other_2', 'Other_3', 'Other_4']
  await produceMessages(topic, ['Slow_delta', 'Slow_date', 'Flaky', ...others].map(edit))

  const at = (path: string, nth = 0): number => target.requests.filter((r) => r.path === path)[nth]?.at ?? Number.NaN
  await target.waitForRequests(2, { filter: (r) => r.path === '/render/Slow_delta', timeoutMs: 30000 })
  await target.waitForRequests(2, { filter: (r) => r.path === '/render/Slow_date', timeoutMs: 30000 })
  const retried = at('/render/Slow_delta', 1)
  assert.ok(retried - at('/render/Slow_delta') >= askedMs, `the retry came ${retried - at('/render/Slow_delta')} ms after the 429 that asked for ${askedMs} ms`)
  assert.ok(at('/render/Slow_date', 1) >= Date.parse(askedDate), `the retry came before the date asked for (${askedDate})`)
  for (const title of others) {
    assert.ok(at(`/render/${title}`) < retried, `${title}, another key, ran before the retry of the 429, not after it`)
    assert.ok(at(`/purge/${title}`) < retried, `${title} of another rule ran before the retry of the 429`)
  }
  assert.ok(at('/purge/Slow_delta') < retried, 'the other rule\'s call for the same event did not wait')
  // In the retry consumer too: the retry of another key, due at once, did not wait behind the two waiting ones.
  assert.ok(at('/render/Flaky', 1) < retried, 'the retry of another key ran while the 429\'s retry waited')
  assert.equal(target.requests.filter((r) => r.path.startsWith('/render/')).length, 2 + 2 + 2 + others.length, 'each retried once')
})
