import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { RuleSpec } from '../../src/changeprop/index.js'
import { namingOf, topicOf } from '../../src/stream-config/index.js'
import { createTopic, produceMessages } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'
import { startSink } from './helpers/sink.js'
import type { HttpSink } from './helpers/sink.js'
import { startChangeprop, testNames } from './helpers/start.js'
import { createRuleThrottle } from '../../src/changeprop/throttle.js'
import type { ThrottleWaitReason } from '../../src/changeprop/throttle.js'

const signal = new AbortController().signal

test('rate_limit: a burst starts at once, then one execution per interval, each at its reserved time', async () => {
  const clock = { now: 1_000_000 }
  const waits: Array<[ThrottleWaitReason, number]> = []
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 1000, burst: 3 }, now: () => clock.now, onWait: (reason, ms) => waits.push([reason, ms]) })
  for (let i = 0; i < 8; i++) await throttle.admit(signal)
  // Three from the burst, then 1 ms apart: the fourth waits 1 ms, the eighth 5 ms (the clock stood still).
  assert.deepEqual(waits, [1, 2, 3, 4, 5].map((ms) => ['rate_limit', ms]))
  // After an idle second the bucket is full again, never fuller.
  clock.now += 1000
  waits.length = 0
  for (let i = 0; i < 4; i++) await throttle.admit(signal)
  assert.deepEqual(waits, [['rate_limit', 1]])
})

test('admitNow: admits at once what admit would without waiting, and nothing that would have to wait', () => {
  const clock = { now: 1_000_000 }
  const waits: ThrottleWaitReason[] = []
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 1000, burst: 2 }, backoff: { after: 1, initialMs: 50, maxMs: 50 }, now: () => clock.now, onWait: (reason) => waits.push(reason) })
  // The burst is taken at once; the third would wait for the rate limit, and is not reserved.
  const first = throttle.admitNow()
  assert.deepEqual(first, { generation: 0 })
  assert.notEqual(throttle.admitNow(), undefined)
  assert.equal(throttle.admitNow(), undefined, 'the rate limit has no room')
  assert.equal(throttle.admitNow(), undefined, 'a refusal reserves nothing')
  clock.now += 1
  assert.notEqual(throttle.admitNow(), undefined, 'one interval later there is room for one')
  // A failure starts the back-off: nothing is admitted at once while it lasts.
  clock.now += 1000
  throttle.settle(first as never, 'failed')
  assert.equal(throttle.backoffMs(), 50)
  assert.equal(throttle.admitNow(), undefined, 'a back-off is under way')
  throttle.settle({ generation: 1 }, 'answered')
  assert.deepEqual(throttle.admitNow(), { generation: 2 }, 'the target answered: the back-off is over, in a new generation')
  assert.deepEqual(waits, [], 'admitNow never waits')
})

test('rate_limit: under a backlog, burst + rate × seconds executions start in a window, whatever its length', () => {
  // A backlog: each execution asks as soon as the one before it started, and starts at the time
  // it reserved (the clock jumps there, as the execution's timer would).
  const clock = { now: 0 }
  let start = 0
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 50, burst: 10 }, now: () => clock.now, onWait: (_reason, ms) => { start = clock.now + ms } })
  const shutdown = new AbortController()
  const starts: number[] = []
  for (let i = 0; i < 4000; i++) {
    start = clock.now
    throttle.admit(shutdown.signal).catch(() => undefined)
    starts.push(start)
    clock.now = start
  }
  shutdown.abort()
  for (const seconds of [1, 10, 60]) {
    assert.equal(starts.filter((at) => at <= seconds * 1000).length, 10 + 50 * seconds, `${seconds} s`)
  }
})

test('failure_backoff: starts after the failures in a row, grows once per probe up to its maximum, and counts no neutral outcome', async () => {
  const changes: number[] = []
  const throttle = createRuleThrottle({ backoff: { after: 3, initialMs: 20, maxMs: 70 }, onBackoff: (ms) => changes.push(ms) })
  // Three executions in flight together, all failing: the back-off starts at its first delay.
  const tickets = await Promise.all([throttle.admit(signal), throttle.admit(signal), throttle.admit(signal)])
  throttle.settle(tickets[0] as never, 'failed')
  throttle.settle(tickets[1] as never, 'neutral')
  throttle.settle(tickets[1] as never, 'failed')
  assert.equal(throttle.backoffMs(), 0, 'two failures in a row, and a neutral outcome that does not count')
  throttle.settle(tickets[2] as never, 'failed')
  assert.equal(throttle.backoffMs(), 20)
  // A straggler of the same generation as the others fails too: no growth.
  throttle.settle(tickets[0] as never, 'failed')
  assert.equal(throttle.backoffMs(), 20)
  // Probes: each failing one doubles the delay, up to the maximum.
  for (const expected of [40, 70, 70]) {
    const ticket = await throttle.admit(signal)
    throttle.settle(ticket, 'failed')
    assert.equal(throttle.backoffMs(), expected)
  }
  assert.deepEqual(changes, [20, 40, 70, 70])
})

test('failure_backoff: while backing off, executions start one per delay', async () => {
  const throttle = createRuleThrottle({ backoff: { after: 1, initialMs: 150, maxMs: 150 } })
  throttle.settle(await throttle.admit(signal), 'failed')
  const started = performance.now()
  await throttle.admit(signal)
  const first = performance.now() - started
  await throttle.admit(signal)
  const second = performance.now() - started
  assert.ok(first >= 140, `the first probe waited the delay (${first} ms)`)
  assert.ok(second - first >= 140, `the next one waited the delay again (${second - first} ms)`)
})

test('failure_backoff: the first execution the target answers ends it, and the waiting executions start at once', async () => {
  const changes: number[] = []
  const throttle = createRuleThrottle({ backoff: { after: 1, initialMs: 60000, maxMs: 60000 }, onBackoff: (ms) => changes.push(ms) })
  const straggler = await throttle.admit(signal)
  throttle.settle(await throttle.admit(signal), 'failed')
  assert.equal(throttle.backoffMs(), 60000)
  const started = performance.now()
  const waiting = [throttle.admit(signal), throttle.admit(signal)]
  // The execution admitted before the back-off started comes back answered.
  setTimeout(() => { throttle.settle(straggler, 'answered') }, 20)
  await Promise.all(waiting)
  assert.ok(performance.now() - started < 10000, 'the waiting executions did not wait for the minute')
  assert.equal(throttle.backoffMs(), 0)
  assert.deepEqual(changes, [60000, 0])
})

test('a throttled wait ends with the signal (shutdown)', async () => {
  const throttle = createRuleThrottle({ rateLimit: { perSecond: 0.001, burst: 1 } })
  await throttle.admit(signal)
  const shutdown = new AbortController()
  const waiting = throttle.admit(shutdown.signal)
  shutdown.abort(new Error('shutting down'))
  await assert.rejects(waiting, /shutting down/)
})

// Against the broker and a real HTTP target.

function edit (title: string): { key: string, value: string } {
  const event = {
    meta: { stream: 'mediawiki.revision-create', uri: `https://en.wikipedia.org/wiki/${title}`, domain: 'en.wikipedia.org', dt: new Date().toISOString(), id: randomUUID(), request_id: randomUUID() },
    page_title: title
  }
  return { key: title, value: JSON.stringify(event) }
}

async function backlog (t: TestContext, rule: RuleSpec, events: number, target: HttpSink): Promise<{ metrics: () => Promise<string> }> {
  const names = testNames()
  const topic = topicOf('mediawiki.revision-create', namingOf(names.prefix))
  await createTopic(topic)
  // The backlog is in Kafka before the rule starts.
  await produceMessages(topic, Array.from({ length: events }, (_, i) => edit(`Page_${i}`)))
  const running = await startChangeprop(t, { render: { topic: 'mediawiki.revision-create', ...rule, exec: { uri: `${target.origin}/render/{message.page_title}` } } }, {}, names)
  return { metrics: async () => (await fetch(`${running.admin}/metrics`)).text() }
}

test('rate_limit holds a backlog to its rate: rate × T requests reach the target in T seconds once the burst is spent, within 5 %', async (t) => {
  const target = await startSink()
  t.after(async () => { await target.close() })
  const rate = 20
  const burst = 5
  const seconds = 5
  const events = 200
  const { metrics } = await backlog(t, { concurrency: 10, rate_limit: { rate, burst } }, events, target)
  const [first] = await target.waitForRequests(1, { timeoutMs: 30000 })
  // The window starts a second after the first request: by then the burst, and whatever the bucket
  // gathered while the first connection was being made (a loaded machine makes it late), is spent.
  const from = (first?.at ?? 0) + 1000
  const to = from + seconds * 1000
  // The window is over once a request comes after it, or the whole backlog came before.
  await waitFor('the window to end', () => target.requests.length === events || target.requests.some((r) => r.at > to), 30000, 20)
  const inWindow = target.requests.filter((r) => r.at > from && r.at <= to).length
  const expected = rate * seconds
  t.diagnostic(`${inWindow} requests in ${seconds} s after the burst (expected ${expected})`)
  assert.ok(Math.abs(inWindow - expected) <= 0.05 * expected, `${inWindow} requests in ${seconds} s, not ${expected} ± 5 %`)
  const text = await metrics()
  assert.match(text, /sluice_changeprop_rate_limit_per_second\{[^}]*rule="render"[^}]*\} 20\n/)
  assert.match(text, /sluice_changeprop_throttled_seconds_total\{[^}]*reason="rate_limit"[^}]*\} [1-9]/)
})

test('failure_backoff: a rule whose target keeps failing slows down instead of filling the retry topic, and recovers by itself', async (t) => {
  let failing = true
  const rendered = new Set<string>()
  const target = await startSink((request) => {
    if (failing) return 503
    rendered.add(request.path)
    return 200
  })
  t.after(async () => { await target.close() })
  const events = 60
  // Enough retries that no event runs out of them while the target fails: each is rendered in the end.
  const { metrics } = await backlog(t, { concurrency: 5, retry_limit: 20, failure_backoff: { after: 3, delay: 200, max_delay: 800 } }, events, target)
  // Three failures start the back-off. The executions already in flight then (up to the
  // concurrency of 5) fail too; after them, one probe 200, 400, 800 and 800 ms apart.
  const failed = await target.waitForRequests(10, { timeoutMs: 30000 })
  failing = false
  const gaps = failed.slice(1).map((r, i) => r.at - (failed[i]?.at ?? 0))
  t.diagnostic(`gaps between failing requests: ${gaps.join(', ')} ms`)
  const firstProbe = gaps.findIndex((gap) => gap >= 150)
  assert.ok(firstProbe >= 2 && firstProbe <= 4, `the back-off started after the first 3 to 5 requests, in flight together: ${gaps.join(', ')}`)
  // The first probe waits from the third failure; each next one from the probe before it.
  const probes = failed.slice(firstProbe + 1)
  const waits = probes.map((probe, i) => probe.at - (i === 0 ? failed[2]?.at ?? 0 : probes[i - 1]?.at ?? 0))
  for (const [i, least] of [200, 400, 800, 800].entries()) {
    assert.ok((waits[i] ?? 0) >= least - 5, `probe ${i + 1} came ${waits[i]} ms after the failure before it, not ${least} ms`)
  }
  const text = await metrics()
  assert.match(text, /sluice_changeprop_backoff_delay_seconds\{[^}]*rule="render"[^}]*\} 0\.8\n/)
  assert.match(text, /sluice_changeprop_backoffs_total\{[^}]*rule="render"[^}]*\} 1\n/)
  const retries = Number(/sluice_changeprop_retries_total\{[^}]*rule="render"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0)
  assert.ok(retries <= 12, `${retries} retry events while the target failed, for a backlog of ${events}`)
  // The next probe is answered: the back-off ends, the backlog goes through at full speed.
  await waitFor('every event to be rendered', () => rendered.size === events, 30000, 50)
  assert.match(await metrics(), /sluice_changeprop_backoff_delay_seconds\{[^}]*rule="render"[^}]*\} 0\n/)
})
