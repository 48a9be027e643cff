import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SchemaUriRefusedError } from '../../../src/schemas/lookup/errors.js'
import {
  candidatePaths, hasFileExtension, isAbsoluteSchemaUri, isVersionedPath, normalizeBaseUri, normalizeSchemaPath, pathBelowBase
} from '../../../src/schemas/lookup/uri.js'

test('relative schema URIs normalize to repository paths, with or without a leading slash', () => {
  assert.equal(normalizeSchemaPath('/test/event/1.0.0'), 'test/event/1.0.0')
  assert.equal(normalizeSchemaPath('test/event/1.0.0'), 'test/event/1.0.0')
  assert.equal(normalizeSchemaPath('/fragment/common/1.0.0#'), 'fragment/common/1.0.0')
  assert.equal(normalizeSchemaPath('/fragment/http/client_ip/1.0.0'), 'fragment/http/client_ip/1.0.0')
  assert.equal(normalizeSchemaPath('/mediawiki/page/properties-change/latest.yaml'), 'mediawiki/page/properties-change/latest.yaml')
})

const refused: Array<[string, RegExp]> = [
  ['', /empty/],
  ['/', /empty path segments/],
  ['/test//event/1.0.0', /empty path segments/],
  ['/test/event/', /empty path segments/],
  ['//evil.example/test/1.0.0', /network-path/],
  ['/test/../../etc/passwd', /dot segments/],
  ['../secret', /dot segments/],
  ['/test/./event/1.0.0', /dot segments/],
  ['/.git/config', /start with a dot/],
  ['/test/.hidden', /start with a dot/],
  ['/test/%2e%2e/%2e%2e/etc/passwd', /percent-encoded/],
  ['/test/event%2f..%2f..%2fsecret', /percent-encoded/],
  ['/test/%2E%2E/x', /percent-encoded/],
  ['/test\\..\\..\\secret', /may only contain/],
  ['/test/event/1.0.0\u0000.yaml', /may only contain/],
  ['/test/event/1.0.0?x=1', /may only contain/],
  ['/test/event/1.0.0#/definitions/x', /may only contain/],
  ['/test/ev ent/1.0.0', /may only contain/],
  ['/test/\u00e9v\u00e9nement/1.0.0', /may only contain/],
  [`/${'a'.repeat(1100)}`, /longer than/],
  [`/test/${'s'.repeat(256)}/1.0.0`, /a path segment is longer than 255 characters/]
]

for (const [uri, reason] of refused) {
  test(`refuses ${JSON.stringify(uri.slice(0, 60))} before any I/O`, () => {
    assert.throws(() => normalizeSchemaPath(uri), (err: unknown) => {
      assert.ok(err instanceof SchemaUriRefusedError)
      assert.equal(err.code, 'SLUICE_ERR_SCHEMA_URI_REFUSED')
      assert.match(err.message, reason)
      assert.ok(err.message.startsWith(`Failed loading schema at ${uri}: `))
      return true
    })
  })
}

test('an extension is a non-numeric last dot-segment of the basename (EventGate rule)', () => {
  assert.equal(hasFileExtension('test/event/1.0.0'), false)
  assert.equal(hasFileExtension('test/event/latest'), false)
  assert.equal(hasFileExtension('test/event/current.yaml'), true)
  assert.equal(hasFileExtension('test/event/1.0.0.json'), true)
  assert.equal(hasFileExtension('test.dir/event'), false)
  assert.equal(hasFileExtension('legacy/schema/12'), false)
})

test('a configured extension is appended only to extensionless names', () => {
  assert.deepEqual(candidatePaths('test/event/1.0.0', '.yaml'), ['test/event/1.0.0.yaml'])
  assert.deepEqual(candidatePaths('test/event/1.0.0', 'json'), ['test/event/1.0.0.json'])
  assert.deepEqual(candidatePaths('test/event/latest', '.yaml'), ['test/event/latest.yaml'])
  assert.deepEqual(candidatePaths('test/event/current.yaml', '.json'), ['test/event/current.yaml'])
})

test('without a configured extension the name is tried as is, then .yaml, then .json', () => {
  assert.deepEqual(candidatePaths('test/event/1.0.0'), ['test/event/1.0.0', 'test/event/1.0.0.yaml', 'test/event/1.0.0.json'])
  assert.deepEqual(candidatePaths('test/event/1.0.0', ''), ['test/event/1.0.0', 'test/event/1.0.0.yaml', 'test/event/1.0.0.json'])
  assert.deepEqual(candidatePaths('test/event/1.0.0.json'), ['test/event/1.0.0.json'])
})

test('versioned paths are X.Y.Z with an optional schema extension', () => {
  assert.equal(isVersionedPath('test/event/1.0.0'), true)
  assert.equal(isVersionedPath('test/event/10.20.300.yaml'), true)
  assert.equal(isVersionedPath('test/event/1.0.0.json'), true)
  assert.equal(isVersionedPath('test/event/latest'), false)
  assert.equal(isVersionedPath('test/event/latest.yaml'), false)
  assert.equal(isVersionedPath('test/event/current.yaml'), false)
  assert.equal(isVersionedPath('legacy/schema/4'), false)
})

test('absolute URIs are recognised by their scheme', () => {
  for (const uri of ['http://x/y', 'https://x/y', 'file:///etc/passwd', 'data:,{}', 'C:\\schemas\\x', 'urn:x']) {
    assert.equal(isAbsoluteSchemaUri(uri), true, uri)
  }
  for (const uri of ['/test/event/1.0.0', 'test/event/1.0.0', '//host/x']) {
    assert.equal(isAbsoluteSchemaUri(uri), false, uri)
  }
})

test('base URIs are normalized to canonical URLs ending in a slash', () => {
  assert.equal(normalizeBaseUri('http://schema.example/repositories/primary/jsonschema'), 'http://schema.example/repositories/primary/jsonschema/')
  assert.equal(normalizeBaseUri('HTTPS://Schema.Example:443/a/'), 'https://schema.example/a/')
  assert.equal(normalizeBaseUri('file:///srv/schemas'), 'file:///srv/schemas/')
  assert.throws(() => normalizeBaseUri('ftp://x/'), /unsupported scheme/)
  assert.throws(() => normalizeBaseUri('http://user:pw@x/'), /credentials/)
  assert.throws(() => normalizeBaseUri('http://x/?q=1'), /query/)
})

test('an allowed absolute URI maps to the path below its base', () => {
  const base = 'http://schema.example/primary/'
  assert.equal(pathBelowBase('http://schema.example/primary/test/event/1.0.0', base), 'test/event/1.0.0')
  assert.equal(pathBelowBase('http://schema.example/primary/fragment/common/1.0.0#', base), 'fragment/common/1.0.0')
  assert.equal(pathBelowBase('file:///srv/schemas/test/event/1.0.0', 'file:///srv/schemas/'), 'test/event/1.0.0')
})

const refusedAbsolute: Array<[string, string | undefined, RegExp]> = [
  ['http://169.254.169.254/latest/meta-data/', 'http://schema.example/primary/', /not below a configured/],
  ['http://schema.example/other/test/event/1.0.0', 'http://schema.example/primary/', /not below a configured/],
  ['http://schema.example/primary-evil/x/1.0.0', 'http://schema.example/primary', /not below a configured/],
  ['http://schema.example/primary/', 'http://schema.example/primary/', /not below a configured/],
  ['file:///etc/passwd', 'file:///srv/schemas/', /not below a configured/],
  ['file:///srv/schemas/../../etc/passwd', 'file:///srv/schemas/', /canonical form/],
  ['http://schema.example/primary/a/../../secret', 'http://schema.example/primary/', /canonical form/],
  ['http://schema.example/primary/%2e%2e/secret', 'http://schema.example/primary/', /canonical form/],
  ['http://schema.example/primary/a/%2e%2e/%2e%2e/secret', 'http://schema.example/primary/', /canonical form/],
  ['http://schema.example/primary/x%2f..%2fy', 'http://schema.example/primary/', /percent-encoded/],
  ['http://schema.example\\primary\\x', 'http://schema.example/primary/', /canonical form/],
  ['http://SCHEMA.example/primary/x', 'http://schema.example/primary/', /canonical form/],
  ['http://schema.example:80/primary/x', 'http://schema.example/primary/', /canonical form/],
  ['http://user:pw@schema.example/primary/x', 'http://schema.example/primary/', /credentials/],
  ['http://schema.example/primary/x?y=1', 'http://schema.example/primary/', /query/],
  ['http://schema.example/primary/x#/definitions/y', 'http://schema.example/primary/', /canonical form/],
  ['file://otherhost/srv/schemas/x', 'file:///srv/schemas/', /canonical form/],
  ['ftp://schema.example/primary/x', 'http://schema.example/primary/', /scheme is not allowed/],
  ['data:application/json,{}', 'http://schema.example/primary/', /scheme is not allowed/],
  ['http://schema.example/primary/x', undefined, /not below a configured/],
  ['http://', 'http://schema.example/primary/', /not a valid URL/]
]

for (const [uri, base, reason] of refusedAbsolute) {
  test(`refuses absolute ${uri} against base ${String(base)}`, () => {
    assert.throws(() => pathBelowBase(uri, base), (err: unknown) => {
      assert.ok(err instanceof SchemaUriRefusedError)
      assert.match(err.message, reason)
      return true
    })
  })
}
