import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RuleInvalidError } from '../../../src/changeprop/errors.js'
import { loadRules } from '../../../src/changeprop/rules/load.js'
import { compileRule } from '../../../src/changeprop/rules/compile.js'
import { validateConfig } from '../../../src/config/load.js'
import { changepropConfigSchema } from '../../../src/changeprop/config.js'
import type { ChangepropConfig } from '../../../src/changeprop/config.js'

const defaults: ChangepropConfig = { ...validateConfig({ limiters: { budget: { interval_ms: 1000, limit: 1 } } }, changepropConfigSchema, 'test'), rules: {} }

// The seed rule, exactly as the issue writes it.
const seedRule = {
  topic: 'mediawiki.revision-create',
  retry_on: { status: ['5xx', 404] },
  exec: {
    method: 'get',
    uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}',
    headers: {
      'cache-control': 'no-cache',
      'x-restbase-parentrevision': '{{message.rev_parent_id}}',
      'if-unmodified-since': '{{date(message.meta.dt)}}'
    },
    query: { redirect: false }
  }
}

async function problemsOf (inline: Record<string, unknown>): Promise<Array<{ rule: string, pointer: string, message: string }>> {
  try {
    await loadRules({ inline, defaults, source: 'config.yaml' })
  } catch (err) {
    assert.ok(err instanceof RuleInvalidError, String(err))
    assert.equal(err.code, 'SLUICE_ERR_CHANGEPROP_RULE_INVALID')
    return err.problems.map(({ rule, pointer, message }) => ({ rule, pointer, message }))
  }
  assert.fail('expected the rules to be refused')
}

test('the seed rule loads as written', async () => {
  const rules = await loadRules({ inline: { page_edit: seedRule }, defaults, source: 'config.yaml' })
  assert.deepEqual(Object.keys(rules), ['page_edit'])
})

test('an unknown key names the rule and its pointer', async () => {
  const problems = await problemsOf({ page_edit: { ...seedRule, retry_onn: {} } })
  assert.deepEqual(problems, [{ rule: 'page_edit', pointer: '/retry_onn', message: 'unknown key' }])
  const nested = await problemsOf({ page_edit: { ...seedRule, exec: { ...seedRule.exec, agentOptions: {} } } })
  assert.deepEqual(nested, [{ rule: 'page_edit', pointer: '/exec/agentOptions', message: 'unknown key' }])
})

test('a bad regex, status pattern or template is refused with its pointer', async () => {
  assert.deepEqual((await problemsOf({ r: { ...seedRule, match: { meta: { uri: '/(unclosed/' } } } }))[0]?.pointer, '/match/meta/uri')
  const status = await problemsOf({ r: { ...seedRule, retry_on: { status: ['5XX'] } } })
  assert.equal(status[0]?.pointer, '/retry_on/status')
  assert.match(status[0]?.message ?? '', /'5XX' is not a status/)
  const template = await problemsOf({ r: { ...seedRule, exec: { ...seedRule.exec, headers: { 'x-a': '{{message.' } } } })
  assert.equal(template[0]?.pointer, '/exec/headers/x-a')
  const uri = await problemsOf({ r: { ...seedRule, exec: [{ uri: 'http://ok/' }, { uri: 'http://x/{{nope.a}}' }] } })
  assert.equal(uri[0]?.pointer, '/exec/1/uri')
  assert.match((await problemsOf({ r: { ...seedRule, match: { a: '/(?<n>x)(y)/' } } }))[0]?.message ?? '', /mixes named and unnamed/)
  assert.equal((await problemsOf({ r: { ...seedRule, sample: { rate: 0.5, hash_template: '{{x' } } }))[0]?.pointer, '/sample/hash_template')
})

test('values of the wrong type or range are refused; 0 is a value, not "use the default"', async () => {
  const problems = await problemsOf({ r: { ...seedRule, concurrency: 0, retry_limit: -1, timeout: 'soon' } })
  assert.deepEqual(problems.map((p) => p.pointer).sort(), ['/concurrency', '/retry_limit', '/timeout'])
  const rules = await loadRules({ inline: { r: { ...seedRule, retry_limit: 0, retry_delay: 0 } }, defaults, source: 'x' })
  assert.equal(rules.r?.retry_limit, 0)
})

test('structural problems: no topic, cases mixed with match, undeclared limiter, relative uri', async () => {
  assert.match((await problemsOf({ r: { exec: seedRule.exec } }))[0]?.message ?? '', /no topic/)
  assert.equal((await problemsOf({ r: { ...seedRule, cases: [{ exec: seedRule.exec }] } }))[0]?.pointer, '/exec')
  assert.equal((await problemsOf({ r: { ...seedRule, limiters: { nope: 'k' } } }))[0]?.pointer, '/limiters/nope')
  assert.equal((await problemsOf({ r: { ...seedRule, exec: { uri: '/sys/other' } } }))[0]?.pointer, '/exec/uri')
  assert.equal((await problemsOf({ r: { ...seedRule, exec: { uri: '/sys/queue/events', method: 'get', body: [] } } }))[0]?.pointer, '/exec/method')
  assert.equal((await problemsOf({ r: { ...seedRule, match: [{ a: 1 }] } }))[0]?.pointer, '/match')
})

test('every problem of every rule is reported at once', async () => {
  const problems = await problemsOf({
    a: { ...seedRule, unknown: 1 },
    b: seedRule,
    c: { ...seedRule, retry_on: { status: [700] } },
    'bad name!': seedRule
  })
  assert.deepEqual(problems.map((p) => p.rule).sort(), ['a', 'bad name!', 'c'])
})

test('rule files: every YAML file of the directory, with the file named in problems', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-rules-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(join(dir, 'a.yaml'), 'first:\n  topic: one\n  exec: { uri: "http://x/" }\n')
  await writeFile(join(dir, 'b.yml'), 'second:\n  topic: two\n')
  await writeFile(join(dir, 'notes.txt'), 'not a rule file')
  const rules = await loadRules({ inline: { inline_rule: { topic: 'three' } }, dir, defaults, source: 'config.yaml' })
  assert.deepEqual(Object.keys(rules).sort(), ['first', 'inline_rule', 'second'])

  await writeFile(join(dir, 'c.yaml'), 'first:\n  topic: again\n')
  await writeFile(join(dir, 'd.yaml'), 'broken:\n  topic: x\n  retry_delay: soon\n')
  try {
    await loadRules({ inline: {}, dir, defaults, source: 'config.yaml' })
    assert.fail('expected a duplicate and an invalid rule')
  } catch (err) {
    assert.ok(err instanceof RuleInvalidError)
    assert.match(err.message, /rule 'first' \(.*c\.yaml\) at '\/': a rule of this name is already defined in .*a\.yaml/)
    assert.match(err.message, /rule 'broken' \(.*d\.yaml\) at '\/retry_delay': must be integer/)
  }
})

test('protecting the target: bad rate_limit, retry_after, failure_backoff, delay and delay_until values are refused with their pointers', async () => {
  const problems = await problemsOf({
    r: { ...seedRule, rate_limit: { rate: 0 }, retry_after: { statuses: [200] }, failure_backoff: true, delay: -1, delay_until: '' }
  } as never)
  assert.deepEqual([...new Set(problems.map((p) => p.pointer.split('/').slice(0, 2).join('/')))].sort(), ['/delay', '/delay_until', '/failure_backoff', '/rate_limit', '/retry_after'])
  assert.equal((await problemsOf({ r: { ...seedRule, delay_until: '{{message.x' } }))[0]?.pointer, '/delay_until')
  const inverted = await problemsOf({ r: { ...seedRule, failure_backoff: { delay: 5000, max_delay: 1000 } } })
  assert.equal(inverted[0]?.pointer, '/failure_backoff/max_delay')
})

test('protecting the target: a rule takes the configuration\'s retry_after and failure_backoff key by key, and may turn the back-off off', () => {
  const rule = compileRule('r', { ...seedRule, retry_after: { max_delay: 5000 }, failure_backoff: { after: 2 } }, { defaults, limiterTypes: new Set(), dedupeByDefault: false })
  assert.deepEqual([...rule.outcome.retryAfter?.statuses ?? []], [429, 503])
  assert.equal(rule.outcome.retryAfter?.maxDelayMs, 5000)
  assert.deepEqual(rule.backoff, { after: 2, initialMs: 1000, maxMs: 60000 })
  assert.equal(compileRule('r', { ...seedRule, failure_backoff: false }, { defaults, limiterTypes: new Set(), dedupeByDefault: false }).backoff, undefined)
  assert.deepEqual(compileRule('r', { ...seedRule, rate_limit: { rate: 2.5 } }, { defaults, limiterTypes: new Set(), dedupeByDefault: false }).rateLimit, { perSecond: 2.5, burst: 1 })
})
