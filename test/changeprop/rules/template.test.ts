import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileExpression, compileTemplate, compileTemplateString, encodeForm } from '../../../src/changeprop/rules/template/index.js'
import { TemplateRenderError, TemplateSyntaxError } from '../../../src/changeprop/errors.js'

const message = {
  meta: { domain: 'en.wikipedia.org', dt: '1990-02-20T19:31:13+00:00', uri: 'https://en.wikipedia.org/wiki/User:Foo/Bar', 'x-y': 'dash' },
  page_title: 'User:Foo/Bar',
  rev_id: 1234,
  rev_parent_id: 1233,
  tags: ['restbase', 'templates'],
  nested: { a: 1 }
}
const context = { message, match: { meta: { uri: ['x', 'Foo'] }, title: { name: 'Bar' } } }

test('a whole-string {{expr}} keeps the type of the value', () => {
  assert.equal(compileTemplateString('{{message.rev_id}}')(context), 1234)
  assert.deepEqual(compileTemplateString('{{message.nested}}')(context), { a: 1 })
  assert.deepEqual(compileTemplateString('{{globals.message}}')(context), message)
  assert.deepEqual(compileTemplateString('{{$.message.meta.domain}}')(context), 'en.wikipedia.org')
  assert.equal(compileTemplateString('{{message.nope}}')(context), undefined)
})

test('partial strings concatenate, with missing values as empty text', () => {
  assert.equal(compileTemplateString('r{{message.rev_id}}-{{message.rev_parent_id}}')(context), 'r1234-1233')
  assert.equal(compileTemplateString('a{{message.nope}}b')(context), 'ab')
  assert.equal(compileTemplateString('plain text')(context), 'plain text')
  assert.equal(compileTemplateString('n={{message.nested}}')(context), 'n={"a":1}')
})

test('single braces URI-encode, {+} does not, {/} prefixes a slash', () => {
  assert.equal(compileTemplateString('/title/{message.page_title}')(context), '/title/User%3AFoo%2FBar')
  assert.equal(compileTemplateString('html:{message.meta.uri}')(context), 'html:https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FUser%3AFoo%2FBar')
  assert.equal(compileTemplateString('/t/{+message.page_title}')(context), '/t/User:Foo/Bar')
  assert.equal(compileTemplateString('/a{/message.page_title}')(context), '/a/User%3AFoo%2FBar')
  assert.equal(compileTemplateString('/a{/message.nope}')(context), '/a')
})

test('paths: brackets, quoted keys, hyphenated segments, array indexes, captures', () => {
  assert.equal(compileTemplateString('{{message.tags[1]}}')(context), 'templates')
  assert.equal(compileTemplateString("{{message.meta['x-y']}}")(context), 'dash')
  assert.equal(compileTemplateString('{{message.meta.x-y}}')(context), 'dash')
  assert.equal(compileTemplateString('{{match.meta.uri[1]}}')(context), 'Foo')
  assert.equal(compileTemplateString('{{match.title.name}}')(context), 'Bar')
  assert.equal(compileTemplateString('{{message.tags.length}}')(context), 2)
})

test('member access never reaches prototypes', () => {
  assert.equal(compileTemplateString('{{message.constructor}}')(context), undefined)
  assert.equal(compileTemplateString('{{message.__proto__}}')(context), undefined)
  assert.equal(compileTemplateString("{{message.tags['map']}}")(context), undefined)
  assert.equal(compileTemplateString('{{message.nested.a.toString}}')(context), undefined)
})

test('date() formats RFC 822 by default and ISO on request', () => {
  assert.equal(compileTemplateString('{{date(message.meta.dt)}}')(context), 'Tue, 20 Feb 1990 19:31:13 +0000')
  assert.equal(compileTemplateString("{{date(message.meta.dt, 'iso')}}")(context), '1990-02-20T19:31:13.000Z')
  assert.equal(compileTemplateString("{{date('Thu, 01 Jan 1970 00:00:01 +0000')}}")(context), 'Thu, 01 Jan 1970 00:00:01 +0000')
  assert.equal(compileTemplateString("{{date('1000')}}")(context), 'Thu, 01 Jan 1970 00:00:01 +0000')
  assert.equal(compileTemplateString('{{date(message.nope)}}')(context), undefined)
  assert.throws(() => compileTemplateString("{{date('not a date')}}")(context), TemplateRenderError)
  assert.throws(() => compileTemplateString("{{date(message.meta.dt, 'unix')}}")(context), TemplateRenderError)
  // Past the range of a Date (8.64e15 ms from the epoch), at both ends.
  assert.equal(compileTemplateString('{{date(8640000000000000)}}')(context), 'Sat, 13 Sep 275760 00:00:00 +0000')
  assert.throws(() => compileTemplateString('{{date(8640000000000001)}}')(context), TemplateRenderError)
  assert.throws(() => compileTemplateString("{{date('-8640000000000001')}}")(context), TemplateRenderError)
})

test('encodeForm writes what URLSearchParams writes, for every ASCII character and beyond', () => {
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code))
  const values = [...ascii, ascii.join(''), 'a b', 'ä€😀', 'lone \ud800 surrogate', '', 'plain-value_1.2*']
  for (const value of values) {
    const fields = { [`k${value}`]: value }
    assert.equal(encodeForm(fields), new URLSearchParams(fields).toString(), JSON.stringify(value))
  }
  assert.equal(encodeForm({ a: 1, b: undefined, c: false, d: { e: [1] }, f: null }), 'a=1&c=false&d=%7B%22e%22%3A%5B1%5D%7D&f=null')
})

test('decode(), default(), merge(), strip(), filter()', () => {
  assert.equal(compileTemplateString('{decode(message.meta.uri)}')(context), encodeURIComponent('https://en.wikipedia.org/wiki/User:Foo/Bar'))
  assert.equal(compileTemplateString("{{decode('User%3AFoo')}}")(context), 'User:Foo')
  assert.throws(() => compileTemplateString("{{decode('%E0%A4%A')}}")(context), TemplateRenderError)
  assert.equal(compileTemplateString("{{default(message.nope, 'x')}}")(context), 'x')
  assert.equal(compileTemplateString("{{default(message.rev_id, 'x')}}")(context), 1234)
  assert.deepEqual(compileTemplateString('{{merge(message.nested, {a: 2, b: [1, "two"]})}}')(context), { a: 1, b: [1, 'two'] })
  assert.deepEqual(compileTemplateString("{{strip(message.meta, ['uri', 'x-y'])}}")(context), { domain: 'en.wikipedia.org', dt: '1990-02-20T19:31:13+00:00' })
  assert.deepEqual(compileTemplateString("{{strip(message.meta, 'uri')}}")(context), { domain: 'en.wikipedia.org', dt: '1990-02-20T19:31:13+00:00', 'x-y': 'dash' })
  assert.deepEqual(compileTemplateString("{{filter(message.meta, ['domain'])}}")(context), { domain: 'en.wikipedia.org' })
  assert.deepEqual(compileTemplateString("{{$$.filter(message, ['rev_id'])}}")(context), { rev_id: 1234 })
})

test('in a URI, raw inserts in the path are normalized but the host is left alone', () => {
  const uri = compileTemplateString('https://{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}', 'uri')
  assert.equal(uri(context), 'https://en.wikipedia.org/api/rest_v1/page/html/User%3AFoo/Bar/1234')
  const withPort = compileTemplateString('http://{{message.host}}/x/{{message.title}}', 'uri')
  assert.equal(withPort({ message: { host: '127.0.0.1:8080', title: 'a b?c#d%41' }, match: {} }), 'http://127.0.0.1:8080/x/a%20b%3Fc%23d%41')
  assert.equal(compileTemplateString('{{message.meta.uri}}', 'uri')(context), message.meta.uri)
  assert.equal(compileTemplateString('/relative/{{message.page_title}}', 'uri')(context), '/relative/User%3AFoo/Bar')
})

test('compileTemplate renders nested values and drops undefined keys', () => {
  const render = compileTemplate({
    test_field_name: 'test_field_value',
    derived_field: '{{message.page_title}}',
    random_field: '{{message.random}}',
    list: ['{{message.rev_id}}', 'x'],
    number: 5
  })
  assert.deepEqual(render(context), {
    test_field_name: 'test_field_value',
    derived_field: 'User:Foo/Bar',
    list: [1234, 'x'],
    number: 5
  })
})

test('syntax errors are raised at compile time with a position and a pointer', () => {
  const bad = ['{{message.', '{{}}', '{{message.a', 'x}', '{{nope.a}}', '{{eval(1)}}', '{{message.a b}}', "{{'open}}", '{{date(}}']
  for (const source of bad) {
    assert.throws(() => compileTemplateString(source), TemplateSyntaxError, source)
  }
  assert.throws(() => compileTemplate({ headers: { a: ['ok', '{{bad'] } }), (err: unknown) => {
    assert.ok(err instanceof TemplateSyntaxError)
    assert.equal(err.pointer, '/headers/a/1')
    assert.equal(err.code, 'SLUICE_ERR_CHANGEPROP_TEMPLATE_SYNTAX')
    return true
  })
})

test('literals and parentheses in expressions', () => {
  assert.equal(compileExpression("'a'")(context), 'a')
  assert.equal(compileExpression('-3.5')(context), -3.5)
  assert.equal(compileExpression('(message.rev_id)')(context), 1234)
  assert.deepEqual(compileExpression('[true, false, null]')(context), [true, false, null])
  assert.deepEqual(compileExpression("{'quoted key': 1}")(context), { 'quoted key': 1 })
})
