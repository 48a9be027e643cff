import { test } from 'node:test'
import assert from 'node:assert/strict'
import { negotiate } from '../../../src/schemas/api/content-negotiation.js'

void test('JSON unless the client prefers YAML or HTML', () => {
  assert.equal(negotiate(undefined), 'json')
  assert.equal(negotiate('*/*'), 'json')
  assert.equal(negotiate('application/json'), 'json')
  assert.equal(negotiate('application/yaml'), 'yaml')
  assert.equal(negotiate('application/x-yaml, application/json;q=0.5'), 'yaml')
  assert.equal(negotiate('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'), 'html')
  assert.equal(negotiate('text/html;q=0.1, application/json'), 'json')
  assert.equal(negotiate('image/png'), 'json')
})
