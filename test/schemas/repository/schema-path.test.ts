import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isTitle, parseSchemaId, parseVersionPath, schemaIdOf, splitSafePath } from '../../../src/schemas/repository/schema-path.js'
import { SchemaPathInvalidError } from '../../../src/schemas/errors.js'

void test('paths that could leave the repository or reach hidden files are refused', () => {
  for (const bad of ['../etc/passwd', 'a/../../b', '.git/config', 'a/.hidden', 'a\\b', 'a/%2e%2e/b', 'a/b\0c', '', '///']) {
    assert.throws(() => splitSafePath(bad), SchemaPathInvalidError, bad)
  }
})

void test('repeated slashes from joined base URIs are collapsed', () => {
  assert.deepEqual(splitSafePath('//mediawiki//page/delete/1.0.0'), ['mediawiki', 'page', 'delete', '1.0.0'])
})

void test('a version path names a title, a version or latest, and an optional format', () => {
  assert.deepEqual(parseVersionPath(['mediawiki', 'page', 'delete', '1.0.0.yaml']), { title: 'mediawiki/page/delete', version: '1.0.0', format: 'yaml' })
  assert.deepEqual(parseVersionPath(['error', 'latest']), { title: 'error', version: 'latest', format: undefined })
  assert.deepEqual(parseVersionPath(['error', '10.2.30.json']), { title: 'error', version: '10.2.30', format: 'json' })
  assert.equal(parseVersionPath(['error', 'current.yaml']), undefined)
  assert.equal(parseVersionPath(['1.0.0']), undefined)
})

void test('$id is /<title>/<version> and parses back', () => {
  assert.equal(schemaIdOf('test/event', '1.0.0'), '/test/event/1.0.0')
  assert.deepEqual(parseSchemaId('/test/event/1.0.0'), { title: 'test/event', version: '1.0.0' })
  assert.equal(parseSchemaId('test/event/1.0.0'), undefined)
  assert.equal(parseSchemaId('/test/event/latest'), undefined)
  assert.equal(isTitle('change-prop/retry'), true)
  assert.equal(isTitle('a/./b'), false)
})
