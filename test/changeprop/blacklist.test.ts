import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { compileBlacklist } from '../../src/changeprop/blacklist.js'
import type { RuleSpec } from '../../src/changeprop/index.js'
import { namingOf, topicOf } from '../../src/stream-config/index.js'
import { produceMessages } from '../helpers/kafka.js'
import { startSink } from './helpers/sink.js'
import { startChangeprop, testNames } from './helpers/start.js'

const on = (domain: string, uri: string): { meta: Record<string, unknown> } => ({ meta: { domain, uri } })

test('a title blocks URIs ending in /<title>, a /regex/ blocks what it matches, both on the percent-decoded URI, per domain', () => {
  const blocked = compileBlacklist({ 'en.wikipedia.org': ['User:Nolelover', '/User:Cyberbot_I\\//'] })
  assert.ok(blocked !== undefined)
  assert.equal(blocked(on('en.wikipedia.org', 'https://en.wikipedia.org/wiki/User:Nolelover')), true)
  assert.equal(blocked(on('en.wikipedia.org', 'https://en.wikipedia.org/api/rest_v1/page/html/User%3ACyberbot_I%2FTest')), true, 'the reference\'s own example')
  assert.equal(blocked(on('en.wikipedia.org', 'https://en.wikipedia.org/wiki/User:Nolelover2')), false, 'a title must end the URI')
  assert.equal(blocked(on('en.wikipedia.org', 'https://en.wikipedia.org/wiki/Main_Page')), false)
  assert.equal(blocked(on('de.wikipedia.org', 'https://de.wikipedia.org/wiki/User:Nolelover')), false, 'lists are per domain')
  assert.equal(compileBlacklist({}), undefined)
  assert.throws(() => compileBlacklist({ 'x.org': ['/(?<a>x)(y)/'] }), /mixes named and unnamed/)
})

test('a blacklisted event is finished without running anything; a rule\'s own list replaces the configuration\'s, and disable_blacklist turns it off', async (t) => {
  const sink = await startSink()
  t.after(async () => { await sink.close() })
  const names = testNames()
  const rule = (path: string, extra: Record<string, unknown> = {}): RuleSpec => ({ topic: 'mediawiki.revision-create', exec: { uri: `${sink.origin}/${path}/{message.page_title}` }, ...extra })
  const running = await startChangeprop(t, {
    global_list: rule('global'),
    own_list: rule('own', { blacklist: { 'en.wikipedia.org': ['Other'] } }),
    no_list: rule('none', { disable_blacklist: true })
  }, { blacklist: { 'en.wikipedia.org': ['Sandbox'] } }, names)
  const event = (title: string): Record<string, unknown> => ({ meta: { stream: 'mediawiki.revision-create', uri: `https://en.wikipedia.org/wiki/${title}`, id: randomUUID(), dt: new Date().toISOString(), domain: 'en.wikipedia.org' }, page_title: title })
  await produceMessages(topicOf('mediawiki.revision-create', namingOf(names.prefix)), ['Sandbox', 'Other', 'Last'].map((title) => ({ value: JSON.stringify(event(title)) })))
  await sink.waitForRequests(3, { filter: (r) => r.path.endsWith('/Last') })
  const paths = (prefix: string): string[] => sink.requests.filter((r) => r.path.startsWith(`/${prefix}/`)).map((r) => r.path.split('/')[2] as string).sort()
  // Each rule handles its events in order, so once Last arrived the two before it were decided.
  assert.deepEqual(paths('global'), ['Last', 'Other'])
  assert.deepEqual(paths('own'), ['Last', 'Sandbox'])
  assert.deepEqual(paths('none'), ['Last', 'Other', 'Sandbox'])
  const metrics = await (await fetch(`${running.admin}/metrics`)).text()
  assert.match(metrics, /sluice_changeprop_events_total\{[^}]*rule="global_list"[^}]*result="blacklisted"[^}]*\} 1/)
})
