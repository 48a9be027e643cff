import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MatchSpecError, compileMatch, compileMatchNot, compileRegex } from '../../../src/changeprop/rules/match.js'

const event = { meta: { uri: 'a/fake/uri/for/you', request_id: 'r1' }, number: 1, string: 'oolala', flag: true }

test('no pattern matches everything', () => {
  assert.deepEqual(compileMatch(undefined)(event), {})
})

test('simple values match and mismatch', () => {
  assert.ok(compileMatch({ number: 1, string: 'oolala' })(event))
  assert.equal(compileMatch({ number: 2, string: 'oolala' })(event), undefined)
})

test('scalars are compared strictly', () => {
  assert.equal(compileMatch({ number: '1' })(event), undefined)
  assert.equal(compileMatch({ flag: 'true' })(event), undefined)
  assert.ok(compileMatch({ flag: true })(event))
  assert.ok(compileMatch({ nothing: null })({ nothing: null }))
  assert.equal(compileMatch({ nothing: null })({}), undefined)
})

test("'undefined' means the field is absent", () => {
  assert.ok(compileMatch({ missing: 'undefined' })(event))
  assert.equal(compileMatch({ number: 'undefined' })(event), undefined)
})

test('regexes match strings only', () => {
  assert.ok(compileMatch({ string: '/(?:la)+/' })(event))
  assert.equal(compileMatch({ string: '/lah/' })(event), undefined)
  assert.equal(compileMatch({ number: '/1/' })(event), undefined)
  assert.equal(compileMatch({ string: '/.+/' })({ string: undefined }), undefined)
  assert.ok(compileMatch({ string: '/OOLALA/i' })(event))
})

test('nested objects need an object at the path', () => {
  assert.ok(compileMatch({ meta: { request_id: 'r1' } })(event))
  assert.equal(compileMatch({ meta: { request_id: 'r1' } })({ number: 1 }), undefined)
  assert.equal(compileMatch({ meta: { request_id: 'r1' } })({ meta: 'r1' }), undefined)
})

test('arrays use subset semantics, including falsy elements', () => {
  const value = { array: [2, '1', '3', '4', 5, 0, ''] }
  assert.ok(compileMatch({ array: ['1', 2, '/(\\d)/'] })(value))
  assert.ok(compileMatch({ array: [0, ''] })(value), 'a matching 0 or empty string counts as a match')
  assert.equal(compileMatch({ array: ['6'] })(value), undefined)
  assert.equal(compileMatch({ array: ['1'] })({ array: '1' }), undefined)
  assert.ok(compileMatch({ list: [{ name: '/^a/' }] })({ list: [{ name: 'b' }, { name: 'abc' }] }))
})

test('unnamed groups capture the match array, named groups an object, constants are echoed', () => {
  const captures = compileMatch({ meta: { uri: '/\\/fake\\/([^/]+)/' }, string: 'oolala', number: 1 })(event)
  assert.ok(captures)
  const uri = (captures.meta as { uri: string[] }).uri
  assert.deepEqual(uri, Array.from(/\/fake\/([^/]+)/.exec(event.meta.uri) as RegExpExecArray))
  assert.equal(uri[1], 'uri')
  assert.equal(captures.string, 'oolala')
  assert.equal(captures.number, 1)
  const named = compileMatch({ meta: { uri: '/\\/fake\\/(?<element>[^/]+)/' } })(event)
  assert.deepEqual(named, { meta: { uri: { element: 'uri' } } })
  assert.deepEqual(compileMatch({ missing: 'undefined', array: ['a'] })({ array: ['a'] }), {})
})

test('mixing named and unnamed groups is refused at compile time', () => {
  assert.throws(() => compileMatch({ a: { b: '/(?<x>a)(b)/' } }), (err: unknown) => {
    assert.ok(err instanceof MatchSpecError)
    assert.equal(err.pointer, '/a/b')
    assert.match(err.message, /mixes named and unnamed/)
    return true
  })
  // Lookbehinds and non-capturing groups are not groups.
  assert.doesNotThrow(() => compileRegex('/(?<=a)(?:b)(c)/'))
  assert.doesNotThrow(() => compileRegex('/[(](?<n>x)/'))
})

test('an invalid regex is refused with its pointer', () => {
  assert.throws(() => compileMatch({ s: ['ok', '/(unclosed/'] }), (err: unknown) => err instanceof MatchSpecError && err.pointer === '/s/1')
})

test('a regex with the g flag gives the same answer every time', () => {
  const matcher = compileMatch({ string: '/la/g' })
  assert.ok(matcher(event))
  assert.ok(matcher(event))
})

test('a top-level array or scalar match is refused', () => {
  assert.throws(() => compileMatch([{ a: 1 }]), /use cases/)
  assert.throws(() => compileMatch('x'), MatchSpecError)
})

test('match_not: one object or a list ORed', () => {
  assert.equal(compileMatchNot(undefined)(event), false)
  assert.equal(compileMatchNot({ meta: { uri: '/my-url/' } })(event), false)
  const either = compileMatchNot([{ meta: { uri: '/my-url/' } }, { meta: { uri: '/my-other-url/' } }])
  assert.equal(either(event), false)
  assert.equal(either({ meta: { uri: 'my-url' } }), true)
  assert.equal(either({ meta: { uri: 'my-other-url' } }), true)
})

test('only own properties are looked at', () => {
  assert.ok(compileMatch({ constructor: 'undefined' })({}))
  assert.ok(compileMatch({ toString: 'undefined' })({}))
  assert.equal(compileMatch({ constructor: { name: 'Object' } })({}), undefined)
})
