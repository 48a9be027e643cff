import { test } from 'node:test'
import assert from 'node:assert/strict'
import { matchesFilter, parseFilter, safeRegex } from '../../src/streams/filter.js'

const limits = { maxFilters: 3, maxValues: 4 }

test('values are any-of, keys all-of, numbers and booleans compare as text, arrays match by any element', () => {
  const filter = parseFilter({ 'filter[meta.domain]': 'a.org,b.org', 'filter[rev]': '7', 'filter[tags]': 'x', since: '0' }, limits)
  const event = (domain: string, rev: unknown, tags: unknown): Record<string, unknown> => ({ meta: { domain }, rev, tags })
  assert.equal(matchesFilter(filter, event('a.org', 7, ['y', 'x'])), true)
  assert.equal(matchesFilter(filter, event('b.org', '7', 'x')), true)
  assert.equal(matchesFilter(filter, event('c.org', 7, ['x'])), false)
  assert.equal(matchesFilter(filter, event('a.org', 8, ['x'])), false)
  assert.equal(matchesFilter(filter, { meta: { domain: 'a.org' }, rev: 7 }), false, 'a missing field never matches')
  assert.equal(matchesFilter(filter, event('a.org', { n: 7 }, 'x')), false, 'an object never matches')
})

test('a repeated parameter adds values; /regex/ values match by pattern', () => {
  const filter = parseFilter({ 'filter[type]': ['edit', '/^lo/'] }, limits)
  assert.equal(matchesFilter(filter, { type: 'edit' }), true)
  assert.equal(matchesFilter(filter, { type: 'log' }), true)
  assert.equal(matchesFilter(filter, { type: 'new' }), false)
})

test('only own properties are followed', () => {
  const filter = parseFilter({ 'filter[toString]': '/./' }, limits)
  assert.equal(matchesFilter(filter, {}), false)
})

test('canary=exclude drops meta.domain canary; other values are refused', () => {
  const filter = parseFilter({ canary: 'exclude' }, limits)
  assert.equal(matchesFilter(filter, { meta: { domain: 'canary' } }), false)
  assert.equal(matchesFilter(filter, { meta: { domain: 'x' } }), true)
  assert.throws(() => parseFilter({ canary: 'no' }, limits), /canary/)
})

test('regexes that can backtrack badly are refused, naming the reason', () => {
  for (const [source, reason] of [['(a+)+$', /nested quantifiers/], ['(ab)*c', /quantified group/], ['(\\w)\\1', /back-references/], ['a*b*c*d', /two unbounded/], ['(?=a)b', /lookarounds/], ['x'.repeat(300), /longer/], ['[', /not a valid/]] as const) {
    assert.throws(() => safeRegex('p', source), (err: Error) => reason.test(err.message), source)
  }
  assert.ok(safeRegex('p', '^(en|de)\\.wikipedia\\.org$').test('de.wikipedia.org'))
})

test('bounds: filters per request, values per filter, path shape, empty values', () => {
  assert.throws(() => parseFilter({ 'filter[a]': '1', 'filter[b]': '1', 'filter[c]': '1', 'filter[d]': '1' }, limits), /at most 3 filters/)
  assert.throws(() => parseFilter({ 'filter[a]': '1,2,3,4,5' }, limits), /more than 4 values/)
  assert.throws(() => parseFilter({ 'filter[a b]': '1' }, limits), /dotted field names/)
  assert.throws(() => parseFilter({ 'filter[a..b]': '1' }, limits), /dotted field names/)
  assert.throws(() => parseFilter({ 'filter[constructor]': '1' }, limits), /reserved/)
  assert.throws(() => parseFilter({ 'filter[a]': '1,,2' }, limits), /empty value/)
  assert.throws(() => parseFilter({ 'filters': 'x' }, limits), /not a filter/)
})
