import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import type { ErrorObject } from 'ajv'
import { formatErrorsText, propertyPath } from '../../../src/schemas/lookup/errors-text.js'

test('JSON pointers become EventGate-style property paths', () => {
  assert.equal(propertyPath(''), '')
  assert.equal(propertyPath('/meta/dt'), '.meta.dt')
  assert.equal(propertyPath('/tags/0'), '.tags[0]')
  assert.equal(propertyPath('/http/request_headers/user-agent'), ".http.request_headers['user-agent']")
  assert.equal(propertyPath('/a~1b/c~0d'), "['a/b']['c~d']")
  assert.equal(propertyPath("/it's"), "['it\\'s']")
  assert.equal(propertyPath('/$schema'), '.$schema')
})

test("formats Ajv errors as '<path>' <message> joined by ', '", () => {
  const ajv = new Ajv({ allErrors: true })
  const validate = ajv.compile({
    type: 'object',
    required: ['meta'],
    properties: { test: { type: 'string' }, list: { type: 'array', items: { type: 'integer' } } }
  })
  assert.equal(validate({ test: 1, list: [1, 'x'] }), false)
  assert.equal(
    formatErrorsText(validate.errors ?? []),
    "'' must have required property 'meta', '.test' must be string, '.list[1]' must be integer"
  )
})

test('an error without a message names its keyword', () => {
  const error: ErrorObject = { keyword: 'custom', instancePath: '/x', schemaPath: '#/custom', params: {} }
  assert.equal(formatErrorsText([error]), "'.x' failed custom")
  assert.equal(formatErrorsText([]), '')
})
