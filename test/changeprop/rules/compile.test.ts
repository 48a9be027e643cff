import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileRule } from '../../../src/changeprop/rules/compile.js'
import type { CompileRuleOptions } from '../../../src/changeprop/rules/compile.js'
import { testDefaults } from '../helpers/rules.js'

const options: CompileRuleOptions = { defaults: testDefaults, limiterTypes: new Set(['budget']), dedupeByDefault: true }
const event = { meta: { domain: 'en.wikipedia.org', uri: 'https://en.wikipedia.org/wiki/A' }, n: 1 }

test('topics: plain names, /regex/ names and exclusions', () => {
  const rule = compileRule('r', { topics: ['a.b', '/^mediawiki\\.job\\./'], exclude_topics: ['mediawiki.job.x'], exec: { uri: 'http://x/' } }, options)
  assert.deepEqual(rule.topics, ['a.b'])
  assert.equal(rule.topicPatterns.length, 1)
  assert.ok(rule.topicPatterns[0]?.test('mediawiki.job.refreshLinks'))
  assert.ok(rule.excludeTopics.has('mediawiki.job.x'))
})

test('rule values win over the defaults, including 0', () => {
  const rule = compileRule('r', { topic: 't', retry_limit: 0, retry_delay: 0, retry_factor: 0, concurrency: 7 }, options)
  assert.deepEqual(rule.retry, { retryLimit: 0, retryDelayMs: 0, retryFactor: 0 })
  assert.equal(rule.concurrency, 7)
  const defaulted = compileRule('r', { topic: 't' }, options)
  assert.deepEqual(defaulted.retry, { retryLimit: 2, retryDelayMs: 10, retryFactor: 6 })
  assert.equal(defaulted.concurrency, 1)
})

test('retry_on and ignore default from the configuration', () => {
  const rule = compileRule('r', { topic: 't' }, options)
  assert.equal(rule.outcome.retryOn(503), true)
  assert.equal(rule.outcome.ignore(412), true)
  const own = compileRule('r', { topic: 't', retry_on: { status: 404 }, ignore: { status: ['41x'] } }, options)
  assert.equal(own.outcome.retryOn(503), false)
  assert.equal(own.outcome.retryOn(404), true)
  assert.equal(own.outcome.ignore(415), true)
})

test('canary events are discarded unless the rule says otherwise', () => {
  const canary = { ...event, meta: { ...event.meta, domain: 'canary' } }
  assert.equal(compileRule('r', { topic: 't' }, options).test(canary), undefined)
  assert.ok(compileRule('r', { topic: 't', discard_canary_events: false }, options).test(canary))
  assert.ok(compileRule('r', { topic: 't' }, options).test(event))
})

test('match and match_not together; cases pick the first that holds', () => {
  const rule = compileRule('r', { topic: 't', match: { n: 1 }, match_not: { meta: { uri: '/\\/B$/' } } }, options)
  assert.ok(rule.test(event))
  assert.equal(rule.test({ ...event, meta: { ...event.meta, uri: 'https://x/wiki/B' } }), undefined)
  const cases = compileRule('r', { topic: 't', cases: [{ match: { n: 2 } }, { match: { n: 1 }, exec: { uri: 'http://one/' } }, { exec: { uri: 'http://any/' } }] }, options)
  assert.equal(cases.test(event)?.ruleCase.index, 1)
  assert.equal(cases.test({ ...event, n: 5 })?.ruleCase.index, 2)
})

test('a rule without exec is a no-op rule, not an error', () => {
  const rule = compileRule('r', { topic: 't' }, options)
  assert.deepEqual(rule.test(event)?.ruleCase.exec, [])
})

test('dedupe: on by default, off per rule, with an optional key template', () => {
  assert.deepEqual(compileRule('r', { topic: 't' }, options).dedupe, { key: undefined })
  assert.equal(compileRule('r', { topic: 't', dedupe: false }, options).dedupe, undefined)
  assert.equal(compileRule('r', { topic: 't' }, { ...options, dedupeByDefault: false }).dedupe, undefined)
  const keyed = compileRule('r', { topic: 't', dedupe: { key: '{{message.meta.domain}}' } }, options)
  assert.equal(keyed.dedupe?.key?.({ message: event, match: {} }), 'en.wikipedia.org')
})

test('exec requests: method, timeout and the produce route', () => {
  const rule = compileRule('r', {
    topic: 't',
    timeout: 100,
    exec: [{ uri: 'http://a/' }, { method: 'POST', uri: 'http://b/', timeout: 5 }, { method: 'post', uri: '/sys/queue/events', body: { meta: { stream: 's' } } }]
  }, options)
  const exec = rule.cases[0]?.exec ?? []
  assert.deepEqual(exec.map((r) => [r.method, r.timeoutMs, r.produce]), [['GET', 100, false], ['POST', 5, false], ['POST', 100, true]])
})

test('in-process routes: links, purge and partition compile to their modules; /sys/ores/ and unknown /sys/ paths are refused', () => {
  const rule = compileRule('r', {
    topic: 't',
    exec: [
      { method: 'post', uri: '/sys/links/backlinks/{message.page_title}', body: '{{globals.message}}' },
      { method: 'post', uri: '/sys/links/transcludes/{{message.page_title}}', body: '{{globals.message}}' },
      { method: 'post', uri: '/sys/links/wikidata_descriptions', body: '{{globals.message}}' },
      { method: 'post', uri: '/sys/purge/', body: [{ meta: { uri: '//x.org/y' } }] },
      { method: 'post', uri: '/sys/partition/', body: '{{globals.message}}' },
      { method: 'post', uri: '/sys/queue/events', body: '{{globals.message}}' }
    ]
  }, options)
  assert.deepEqual(rule.cases[0]?.exec.map((step) => step.module), ['backlinks', 'transcludes', 'wikidata_descriptions', 'purge', 'partition', 'queue'])
  const refusal = (uri: string, method = 'post'): string => {
    try {
      compileRule('r', { topic: 't', exec: { method, uri, body: '{{globals.message}}' } }, options)
    } catch (err) {
      return (err as Error).message
    }
    return 'compiled'
  }
  assert.match(refusal('/sys/ores/'), /at '\/exec\/uri': '\/sys\/ores\/' is not supported: ORES is retired; Lift Wing/)
  assert.match(refusal('/sys/limit/blacklist/x'), /not a known in-process route/)
  assert.match(refusal('/sys/purge/', 'get'), /\/sys\/purge\/ takes method post/)
})

test('a case\'s limiters replace the rule\'s for that case; a limiter type the configuration lacks is refused', () => {
  const rule = compileRule('r', {
    topic: 't',
    limiters: { budget: 'rule:{{message.n}}' },
    cases: [
      { match: { n: 1 }, limiters: { budget: 'case:{{message.n}}' }, exec: { uri: 'http://x/' } },
      { exec: { uri: 'http://x/' } }
    ]
  }, options)
  const keys = rule.cases.map((c) => c.limiters.map((l) => l.key({ message: event, match: {} })))
  assert.deepEqual(keys, [['case:1'], ['rule:1']])
  assert.throws(() => compileRule('r', { topic: 't', cases: [{ limiters: { other: 'k' }, exec: { uri: 'http://x/' } }] }, options), /\/cases\/0\/limiters\/other.*not declared/)
})
