import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'undici'
import { createFileSchemaSource } from '../../../src/schemas/lookup/file-source.js'
import { createHttpSchemaSource } from '../../../src/schemas/lookup/http-source.js'
import {
  SchemaFetchError, SchemaInsecureError, SchemaInvalidError, SchemaNotFoundError, SchemaNotPublishedError, SchemaTooLargeError,
  SchemaUriRefusedError
} from '../../../src/schemas/lookup/errors.js'
import type { SchemaLoadError } from '../../../src/schemas/lookup/errors.js'
import type { SchemaSource } from '../../../src/schemas/document/source.js'
import { createSchemaResolver } from '../../../src/schemas/lookup/validator-cache.js'
import type { SchemaResolver, SchemaResolverOptions } from '../../../src/schemas/lookup/validator-cache.js'
import { craftedDir, createForbiddenSource, createMemorySource, realSchemasDir, silentLogger, startServer } from './support.js'

function resolver (overrides: Partial<SchemaResolverOptions> & Pick<SchemaResolverOptions, 'sources'>): SchemaResolver {
  return createSchemaResolver({
    allowAbsoluteUris: false,
    failureRetryMs: 10000,
    maxSchemaBytes: 1 << 20,
    logger: silentLogger(),
    ...overrides
  })
}

function fixture (name: string): SchemaSource {
  return createFileSchemaSource(craftedDir(name))
}

async function rejectsWith<T extends SchemaLoadError> (promise: Promise<unknown>, kind: new (...args: never[]) => T, check: (err: T) => void = () => {}): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`)
    check(err)
    return true
  })
}

const simple = (title: string, id?: string): string => JSON.stringify({ ...(id === undefined ? {} : { $id: id }), title, type: 'object' })

// --- resolution rules ---

test('a configured extension is appended to extensionless URIs, and only that file is read', async () => {
  const source = createMemorySource({ 'test/event/1.0.0.yaml': simple('test/event', '/test/event/1.0.0') })
  const schemas = resolver({ sources: [source], fileExtension: '.yaml' })
  const resolved = await schemas.resolve('/test/event/1.0.0')
  assert.equal(resolved.uri, '/test/event/1.0.0')
  assert.equal(resolved.id, '/test/event/1.0.0')
  assert.equal(resolved.title, 'test/event')
  assert.deepEqual(source.reads, ['test/event/1.0.0.yaml'])
})

test('without an extension the name is tried as is, then .yaml, then .json', async () => {
  const source = createMemorySource({ 'x/1.0.0.json': simple('json one') })
  const resolved = await resolver({ sources: [source] }).resolve('/x/1.0.0')
  assert.equal(resolved.title, 'json one')
  assert.deepEqual(source.reads, ['x/1.0.0', 'x/1.0.0.yaml', 'x/1.0.0.json'])
})

test('.yaml wins over .json when a repository holds both, and .json-only schemas load', async () => {
  const schemas = resolver({ sources: [fixture('formats')] })
  assert.equal((await schemas.resolve('/yaml-and-json/1.0.0')).title, 'yaml-and-json from yaml')
  assert.equal((await schemas.resolve('/json-only/1.0.0')).title, 'json-only')
  assert.equal((await schemas.resolve('/yaml-and-json/1.0.0.json')).title, 'yaml-and-json from json')
})

test('bases are tried in order and the first that has the schema wins', async () => {
  const ab = resolver({ sources: [fixture('base-a'), fixture('base-b')] })
  assert.equal((await ab.resolve('/both/event/1.0.0')).title, 'from-base-a')
  assert.equal((await ab.resolve('/only/b/1.0.0')).title, 'only/b')
  const ba = resolver({ sources: [fixture('base-b'), fixture('base-a')] })
  assert.equal((await ba.resolve('/both/event/1.0.0')).title, 'from-base-b')
})

test('a URI without a leading slash resolves like one with it', async () => {
  const schemas = resolver({ sources: [fixture('drafts')] })
  const withSlash = await schemas.resolve('/draft07/1.0.0')
  const without = await schemas.resolve('draft07/1.0.0')
  assert.equal(without.title, 'draft07')
  assert.equal(without.uri, 'draft07/1.0.0')
  assert.equal(without.validate, withSlash.validate, 'one $id, one compiled validator')
})

test('a schema no base has is SLUICE_ERR_SCHEMA_NOT_FOUND with EventGate\'s message', async () => {
  const schemas = resolver({ sources: [fixture('base-a'), fixture('base-b')] })
  await rejectsWith(schemas.resolve('/nope/1.0.0'), SchemaNotFoundError, (err) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_NOT_FOUND')
    assert.equal(err.message, 'Failed loading schema at /nope/1.0.0: no configured schema repository has it')
    assert.equal(err.tried.length, 6)
    assert.equal(err.retriable, false)
  })
})

// --- refusals: nothing is read ---

const refusedUris = [
  '/test/../../../etc/passwd',
  '../etc/passwd',
  '/test/%2e%2e/%2e%2e/etc/passwd',
  '/test/..%2f..%2fetc/passwd',
  '/test\\..\\..\\etc\\passwd',
  '/test/event/1.0.0\u0000',
  '//169.254.169.254/latest/meta-data',
  '/.git/config',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  'https://schema.example/primary/test/event/1.0.0',
  'data:application/json,{}',
  ''
]

for (const uri of refusedUris) {
  test(`refuses ${JSON.stringify(uri)} without reading anything`, async () => {
    const schemas = resolver({ sources: [createForbiddenSource()] })
    await rejectsWith(schemas.resolve(uri), SchemaUriRefusedError, (err) => {
      assert.equal(err.code, 'SLUICE_ERR_SCHEMA_URI_REFUSED')
      assert.equal(err.statusCode, 400)
    })
  })
}

test('absolute URIs are refused with EventGate\'s reason unless allowed', async () => {
  const schemas = resolver({ sources: [createForbiddenSource()] })
  await rejectsWith(schemas.resolve('http://127.0.0.1:9/forbidden/x/1.0.0'), SchemaUriRefusedError, (err) => {
    assert.match(err.message, /absolute schema URIs are not allowed but event schema_uri is http:\/\/127\.0\.0\.1:9\/forbidden\/x\/1\.0\.0/)
  })
})

test('allowed absolute URIs are read only from the base they fall under', async () => {
  const primary = createMemorySource({ 'x/1.0.0': simple('primary x') }, { baseUri: 'http://schema.example/primary/' })
  const secondary = createMemorySource({ 'x/1.0.0': simple('secondary x') }, { baseUri: 'http://schema.example/secondary/' })
  const schemas = resolver({ sources: [primary, secondary], allowAbsoluteUris: true })
  assert.equal((await schemas.resolve('http://schema.example/secondary/x/1.0.0')).title, 'secondary x')
  assert.deepEqual(primary.reads, [])
  for (const uri of [
    'http://169.254.169.254/latest/meta-data/',
    'file:///etc/passwd',
    'http://schema.example/primary/../secondary/x/1.0.0',
    'http://schema.example/primary/%2e%2e/secondary/x/1.0.0',
    'http://schema.example/tertiary/x/1.0.0'
  ]) {
    await rejectsWith(schemas.resolve(uri), SchemaUriRefusedError)
  }
  assert.deepEqual(primary.reads, [])
  assert.deepEqual(secondary.reads, ['x/1.0.0'])
})

test('allowed absolute file:// URIs work below a file base and nowhere else', async () => {
  const drafts = fixture('drafts')
  const schemas = resolver({ sources: [drafts], allowAbsoluteUris: true })
  assert.equal((await schemas.resolve(`${drafts.baseUri ?? ''}draft07/1.0.0`)).title, 'draft07')
  await rejectsWith(schemas.resolve(`${drafts.baseUri ?? ''}../refs/event/whole/1.0.0`), SchemaUriRefusedError)
  await rejectsWith(schemas.resolve('file:///etc/passwd'), SchemaUriRefusedError)
})

test('absoluteUriSource picks the source, but cannot widen what is allowed', async () => {
  const mirror = createMemorySource({ 'x/1.0.0': simple('mirrored x') }, { baseUri: 'https://schema.example/primary/' })
  const asked: string[] = []
  const schemas = resolver({
    sources: [createForbiddenSource()],
    allowAbsoluteUris: true,
    absoluteUriSource: (url) => {
      asked.push(url.href)
      return mirror
    }
  })
  assert.equal((await schemas.resolve('https://schema.example/primary/x/1.0.0')).title, 'mirrored x')
  await rejectsWith(schemas.resolve('https://evil.example/primary/x/1.0.0'), SchemaUriRefusedError)
  assert.deepEqual(mirror.reads, ['x/1.0.0'])
  assert.equal(asked.length, 2)
})

test('a non-string URI is refused', async () => {
  await rejectsWith(resolver({ sources: [createForbiddenSource()] }).resolve(42 as unknown as string), SchemaUriRefusedError)
})

// --- HTTP, de-duplication, failures ---

test('20 concurrent first requests for one URI make one HTTP fetch and one compile', async (t) => {
  const server = await startServer(t, (_req, res) => {
    // Answer a little later so every request is in flight together.
    setImmediate(() => res.end(simple('remote', '/remote/1.0.0')))
  })
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  const http = createHttpSchemaSource({ baseUrl: `${server.url}/schemas/`, dispatcher, timeoutMs: 2000, maxBytes: 1 << 16, userAgent: 'sluice-test' })
  const schemas = resolver({ sources: [http], fileExtension: '.yaml' })
  const results = await Promise.all(Array.from({ length: 20 }, async () => schemas.resolve('/remote/1.0.0')))
  assert.deepEqual(server.requests, ['/schemas/remote/1.0.0.yaml'])
  assert.ok(results.every((result) => result.validate === results[0]?.validate))
  await schemas.resolve('/remote/1.0.0')
  assert.equal(server.requests.length, 1, 'versioned URIs stay cached')
})

test('an HTTP repository failure is a retriable SLUICE_ERR_SCHEMA_FETCH; the next base is still tried', async (t) => {
  const server = await startServer(t, (_req, res) => { res.writeHead(503); res.end() })
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  const http = createHttpSchemaSource({ baseUrl: `${server.url}/`, dispatcher, timeoutMs: 2000, maxBytes: 1 << 16, userAgent: 'sluice-test' })
  const local = createMemorySource({ 'only/local/1.0.0.yaml': simple('local') })
  const schemas = resolver({ sources: [http, local], fileExtension: '.yaml' })
  assert.equal((await schemas.resolve('/only/local/1.0.0')).title, 'local')
  await rejectsWith(schemas.resolve('/nowhere/1.0.0'), SchemaFetchError, (err) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_FETCH')
    assert.equal(err.retriable, true)
    assert.equal(err.message, 'Failed loading schema at /nowhere/1.0.0: the schema repository answered HTTP 503')
    assert.equal(err.tried.length, 2)
  })
})

test('a source that throws anything is a fetch failure, and the other names in it are skipped', async () => {
  const reads: string[] = []
  const broken: SchemaSource = {
    description: 'broken',
    async read (path) {
      reads.push(path)
      throw new Error('disk on fire')
    }
  }
  await rejectsWith(resolver({ sources: [broken] }).resolve('/x/1.0.0'), SchemaFetchError, (err) => {
    assert.equal(err.detail, 'reading from a schema repository failed')
    assert.ok(err.cause instanceof Error && err.cause.message === 'disk on fire')
  })
  assert.deepEqual(reads, ['x/1.0.0'])
})

test('failures are remembered for failureRetryMs, then tried again', async () => {
  let clock = 1000
  const files: Record<string, string> = {}
  const source = createMemorySource(files)
  const schemas = resolver({ sources: [source], fileExtension: '.yaml', failureRetryMs: 500, now: () => clock })
  const first = await schemas.resolve('/late/1.0.0').catch((err: unknown) => err)
  assert.ok(first instanceof SchemaNotFoundError)
  assert.equal(source.reads.length, 1)

  files['late/1.0.0.yaml'] = simple('late')
  clock += 499
  const again = await schemas.resolve('/late/1.0.0').catch((err: unknown) => err)
  assert.equal(again, first, 'the remembered failure, without I/O')
  assert.equal(source.reads.length, 1)

  clock += 1
  assert.equal((await schemas.resolve('/late/1.0.0')).title, 'late')
  assert.equal(source.reads.length, 2)
})

test('with failureRetryMs 0 every request after a failure tries again', async () => {
  const source = createMemorySource({})
  const schemas = resolver({ sources: [source], fileExtension: '.yaml', failureRetryMs: 0 })
  await rejectsWith(schemas.resolve('/x/1.0.0'), SchemaNotFoundError)
  await rejectsWith(schemas.resolve('/x/1.0.0'), SchemaNotFoundError)
  assert.equal(source.reads.length, 2)
})

test('concurrent requests for a failing URI share one attempt', async () => {
  const source = createMemorySource({})
  const schemas = resolver({ sources: [source], fileExtension: '.yaml' })
  const results = await Promise.allSettled(Array.from({ length: 10 }, async () => schemas.resolve('/x/1.0.0')))
  assert.ok(results.every((result) => result.status === 'rejected'))
  assert.equal(source.reads.length, 1)
})

test('a schema that failed on a missing $ref compiles once the fragment appears', async () => {
  let clock = 0
  const files: Record<string, string> = {
    'event/1.0.0.yaml': JSON.stringify({ $id: '/event/1.0.0', title: 'event', allOf: [{ $ref: '/fragment/late/1.0.0#' }] })
  }
  const schemas = resolver({ sources: [createMemorySource(files)], fileExtension: '.yaml', failureRetryMs: 100, now: () => clock })
  await rejectsWith(schemas.resolve('/event/1.0.0'), SchemaNotFoundError, (err) => {
    assert.equal(err.refUri, '/fragment/late/1.0.0')
    assert.equal(err.message, 'Failed loading schema at /event/1.0.0: $ref /fragment/late/1.0.0: no configured schema repository has it')
  })
  files['fragment/late/1.0.0.yaml'] = JSON.stringify({ $id: '/fragment/late/1.0.0', type: 'object', required: ['a'] })
  clock = 100
  const resolved = await schemas.resolve('/event/1.0.0')
  assert.equal(resolved.validate({}), false)
  assert.equal(resolved.validate({ a: 1 }), true)
})

// --- caching rules ---

test('clear() forgets failures and unversioned URIs, never versioned ones', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-resolver-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'x'))
  await writeFile(join(dir, 'x', '1.0.0.yaml'), simple('x one', '/x/1.0.0'))
  await writeFile(join(dir, 'x', '2.0.0.yaml'), simple('x two', '/x/2.0.0'))
  await symlink('1.0.0.yaml', join(dir, 'x', 'latest'))
  const schemas = resolver({ sources: [createFileSchemaSource(dir)] })

  assert.equal((await schemas.resolve('/x/latest')).id, '/x/1.0.0')
  assert.equal((await schemas.resolve('/x/1.0.0')).title, 'x one')
  await rejectsWith(schemas.resolve('/x/3.0.0'), SchemaNotFoundError)

  await unlink(join(dir, 'x', 'latest'))
  await symlink('2.0.0.yaml', join(dir, 'x', 'latest'))
  await writeFile(join(dir, 'x', '1.0.0.yaml'), simple('x one rewritten', '/x/1.0.0'))
  await writeFile(join(dir, 'x', '3.0.0.yaml'), simple('x three', '/x/3.0.0'))
  assert.equal((await schemas.resolve('/x/latest')).id, '/x/1.0.0', 'cached until clear()')

  schemas.clear()
  assert.equal((await schemas.resolve('/x/latest')).id, '/x/2.0.0')
  assert.equal((await schemas.resolve('/x/1.0.0')).title, 'x one', 'versioned URIs are immutable')
  assert.equal((await schemas.resolve('/x/3.0.0')).title, 'x three', 'the failure was forgotten')
})

test('a document whose unversioned $id changed replaces the old one after clear()', async () => {
  const files: Record<string, string> = { 'x/current.yaml': simple('first', '/x/current') }
  const schemas = resolver({ sources: [createMemorySource(files)] })
  assert.equal((await schemas.resolve('/x/current.yaml')).title, 'first')
  files['x/current.yaml'] = JSON.stringify({ $id: '/x/current', title: 'second', type: 'string' })
  schemas.clear()
  const second = await schemas.resolve('/x/current.yaml')
  assert.equal(second.title, 'second')
  assert.equal(second.validate('text'), true)
})

test('a different document claiming a versioned $id already in use is refused', async () => {
  const schemas = resolver({
    sources: [createMemorySource({
      'a/1.0.0': simple('a', '/a/1.0.0'),
      'impostor/1.0.0': JSON.stringify({ $id: '/a/1.0.0', title: 'impostor', type: 'string' })
    })]
  })
  await schemas.resolve('/a/1.0.0')
  await rejectsWith(schemas.resolve('/impostor/1.0.0'), SchemaInvalidError, (err) => {
    assert.match(err.message, /its \$id \/a\/1\.0\.0 is already used by a different schema/)
  })
})

test('a draft that claims a published version\'s $id is SLUICE_ERR_SCHEMA_NOT_PUBLISHED, and cannot take the $id from the version', async () => {
  const schemas = resolver({
    sources: [createMemorySource({
      'a/1.0.0': simple('a', '/a/1.0.0'),
      'a/latest': simple('a', '/a/1.0.0'),
      'a/current.yaml': JSON.stringify({ $id: '/a/1.0.0', title: 'a', type: 'string' }),
      'b/current.yaml': simple('b', '/b/2.0.0')
    })]
  })
  // Asked for first: the version must not find its $id taken afterwards.
  await rejectsWith(schemas.resolve('/a/current.yaml'), SchemaNotPublishedError, (err) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_NOT_PUBLISHED')
    assert.match(err.message, /^Failed loading schema at \/a\/current\.yaml: it is not a published schema: its \$id \/a\/1\.0\.0 names a version whose document is different/)
  })
  await rejectsWith(schemas.resolve('/b/current.yaml'), SchemaNotPublishedError, (err) => {
    assert.match(err.message, /names a version that does not exist/)
  })
  assert.equal((await schemas.resolve('/a/1.0.0')).id, '/a/1.0.0')
  // The same document under another name (a `latest` link) is the version.
  const latest = await schemas.resolve('/a/latest')
  assert.equal(latest.uri, '/a/latest')
  assert.equal(latest.validate, (await schemas.resolve('/a/1.0.0')).validate)
})

test('a path segment too long for a file name is not found, not a fetch failure', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-long-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const schemas = resolver({ sources: [createFileSchemaSource(dir)] })
  await rejectsWith(schemas.resolve(`/test/${'x'.repeat(252)}`), SchemaNotFoundError)
})

test('precache compiles every URI in order and throws on the first failure', async () => {
  const source = createMemorySource({ 'a/1.0.0': simple('a'), 'c/1.0.0': simple('c') })
  const schemas = resolver({ sources: [source] })
  await schemas.precache(['/a/1.0.0'])
  await rejectsWith(schemas.precache(['/a/1.0.0', '/b/1.0.0', '/c/1.0.0']), SchemaNotFoundError, (err) => {
    assert.equal(err.uri, '/b/1.0.0')
  })
  assert.ok(!source.reads.some((path) => path.startsWith('c/')), 'stopped at the failure')
})

// --- validation behaviour ---

test('schema defaults are inserted into the validated event (EventGate useDefaults)', async () => {
  const schemas = resolver({ sources: [createFileSchemaSource(`${realSchemasDir}/primary/jsonschema`)], fileExtension: '.yaml' })
  const resolved = await schemas.resolve('/test/event/1.0.0')
  const event: Record<string, unknown> = { $schema: '/test/event/1.0.0', meta: { dt: '2019-01-01T00:00:00Z', stream: 'test.event' } }
  assert.equal(resolved.validate(event), true)
  assert.equal(event.test, 'default value')
  const invalid = { $schema: '/test/event/1.0.0', meta: { dt: 'yesterday', stream: 'test.event' } }
  assert.equal(resolved.validate(invalid), false)
  assert.equal(resolved.validate.errors?.[0]?.instancePath, '/meta/dt')
})

test('the resolved schema is the stored document, frozen', async () => {
  const resolved = await resolver({ sources: [fixture('drafts')] }).resolve('/draft07/1.0.0')
  assert.equal(resolved.schema.$schema, 'https://json-schema.org/draft-07/schema#')
  assert.ok(Object.isFrozen(resolved.schema))
  assert.ok(Object.isFrozen(resolved.schema.properties))
})

const drafts: Array<[string, Record<string, unknown>]> = [
  ['draft04', { name: 'x', count: 10 }], // exclusiveMaximum as a boolean
  ['draft06', { name: 'other' }], // const
  ['draft07', { name: 'x', kind: 'a' }], // if/then
  ['draft2019', { name: 'x', surprise: true }], // unevaluatedProperties
  ['draft2020', { name: 'x', pair: ['a', 'b'] }] // prefixItems
]

for (const [draft, invalid] of drafts) {
  test(`${draft}: compiles, applies defaults and enforces its own keywords`, async () => {
    const resolved = await resolver({ sources: [fixture('drafts')] }).resolve(`/${draft}/1.0.0`)
    assert.equal(resolved.title, draft)
    assert.equal(resolved.id, `/${draft}/1.0.0`)
    const event: Record<string, unknown> = { name: draft === 'draft06' ? 'fixed' : 'x' }
    assert.equal(resolved.validate(event), true, JSON.stringify(resolved.validate.errors))
    assert.equal(event.count, 1)
    assert.equal(resolved.validate(invalid), false)
  })
}

// --- schema problems ---

test('insecure schemas are SLUICE_ERR_SCHEMA_INSECURE naming the JSON pointer', async () => {
  const schemas = resolver({
    sources: [createMemorySource({
      'insecure/1.0.0': JSON.stringify({ type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' }, dt: { type: 'string', format: 'date-time' } } })
    })]
  })
  await rejectsWith(schemas.resolve('/insecure/1.0.0'), SchemaInsecureError, (err) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_INSECURE')
    assert.equal(err.pointer, '/properties/code')
    assert.equal(err.message, "Failed loading schema at /insecure/1.0.0: insecure schema: `pattern` needs `maxLength` at '/properties/code' (and 1 more)")
  })
})

test('schemas over maxSchemaBytes or nested deeper than maxDepth are SLUICE_ERR_SCHEMA_TOO_LARGE', async () => {
  let deep: Record<string, unknown> = { type: 'string' }
  for (let i = 0; i < 20; i++) deep = { type: 'object', properties: { a: deep } }
  const schemas = resolver({
    sources: [createMemorySource({ 'big/1.0.0': JSON.stringify({ description: 'x'.repeat(2000) }), 'deep/1.0.0': JSON.stringify(deep) })],
    maxSchemaBytes: 1024,
    maxDepth: 16
  })
  await rejectsWith(schemas.resolve('/big/1.0.0'), SchemaTooLargeError, (err) => {
    assert.equal(err.code, 'SLUICE_ERR_SCHEMA_TOO_LARGE')
    assert.equal(err.limit, 1024)
  })
  await rejectsWith(schemas.resolve('/deep/1.0.0'), SchemaTooLargeError, (err) => assert.equal(err.limit, 16))
})

test('a YAML alias bomb is refused before anything walks or copies it', async () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`)
  const schemas = resolver({ sources: [createMemorySource({ 'bomb/1.0.0': `${lines.join('\n')}\n` })] })
  await rejectsWith(schemas.resolve('/bomb/1.0.0'), SchemaTooLargeError, (err) => assert.match(err.detail, /YAML aliases/))
})

test('a too-large file from a source keeps its code and names the event URI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-resolver-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'big.yaml'), 'x'.repeat(5000))
  const schemas = resolver({ sources: [createFileSchemaSource(dir, { maxBytes: 100 })] })
  await rejectsWith(schemas.resolve('/big.yaml'), SchemaTooLargeError, (err) => {
    assert.equal(err.uri, '/big.yaml')
    assert.ok(err.message.startsWith('Failed loading schema at /big.yaml: '))
  })
})

const invalidDocuments: Array<[string, string, RegExp]> = [
  ['bad YAML', 'title: [unclosed', /not valid YAML or JSON/],
  ['a string (a git symlink checked out as a file)', '1.0.0.yaml', /not a JSON Schema object/],
  ['an array', '[1, 2]', /not a JSON Schema object/],
  ['an unsupported draft', JSON.stringify({ $schema: 'http://json-schema.org/draft-03/schema#', type: 'object' }), /unsupported meta-schema/],
  ['a meta-schema elsewhere', JSON.stringify({ $schema: 'https://evil.example/meta', type: 'object' }), /unsupported meta-schema/],
  ['a schema that breaks the meta-schema', JSON.stringify({ type: 'nonsense' }), /does not compile/],
  ['an unknown keyword (strict mode)', JSON.stringify({ type: 'object', propertiez: {} }), /does not compile: strict mode: unknown keyword: "propertiez"/],
  ['a duplicate YAML key', 'type: object\ntype: string\n', /not valid YAML or JSON: duplicated mapping key/],
  ['a $ref into nowhere inside a loaded fragment', JSON.stringify({ allOf: [{ $ref: '/frag/1.0.0#/definitions/nope' }] }), /does not compile/]
]

for (const [name, text, reason] of invalidDocuments) {
  test(`${name} is SLUICE_ERR_SCHEMA_INVALID`, async () => {
    const schemas = resolver({ sources: [createMemorySource({ 'bad/1.0.0': text, 'frag/1.0.0': simple('frag', '/frag/1.0.0') })] })
    await rejectsWith(schemas.resolve('/bad/1.0.0'), SchemaInvalidError, (err) => {
      assert.equal(err.code, 'SLUICE_ERR_SCHEMA_INVALID')
      assert.match(err.message, reason)
    })
  })
}

test('YAML timestamps stay strings (no Date objects reach Ajv)', async () => {
  const schemas = resolver({ sources: [createMemorySource({ 'dates/1.0.0': 'type: object\nproperties:\n  dt:\n    type: string\n    default: 2019-01-01T00:00:00Z\n' })] })
  const resolved = await schemas.resolve('/dates/1.0.0')
  const event: Record<string, unknown> = {}
  assert.equal(resolved.validate(event), true)
  assert.equal(event.dt, '2019-01-01T00:00:00Z')
})

// --- $ref ---

test('$ref to a whole fragment and to a pointer inside one resolve through the same sources', async () => {
  const refs = createFileSchemaSource(craftedDir('refs'))
  const schemas = resolver({ sources: [refs] })
  const whole = await schemas.resolve('/event/whole/1.0.0')
  const event: Record<string, unknown> = { $schema: '/event/whole/1.0.0', meta: { stream: 's', dt: '2024-01-01T00:00:00Z' } }
  assert.equal(whole.validate(event), true, JSON.stringify(whole.validate.errors))
  assert.equal(event.page, 'Main_Page')
  assert.equal(whole.validate({ $schema: 'x', meta: {} }), false)

  const pointer = await schemas.resolve('/event/pointer/1.0.0')
  assert.equal(pointer.validate({ meta: { stream: 's' } }), true)
  assert.equal(pointer.validate({ meta: { dt: 'yesterday', stream: 's' } }), false)

  const fragment = await schemas.resolve('/fragment/common/1.0.0')
  assert.equal(fragment.id, '/fragment/common/1.0.0', 'a fragment loaded by $ref can also be used directly')
})

test('a fragment referenced by two schemas is read once', async () => {
  const fragment = JSON.stringify({ $id: '/frag/1.0.0', type: 'object', required: ['a'] })
  const source = createMemorySource({
    'frag/1.0.0': fragment,
    'one/1.0.0': JSON.stringify({ $id: '/one/1.0.0', allOf: [{ $ref: '/frag/1.0.0#' }] }),
    'two/1.0.0': JSON.stringify({ $id: '/two/1.0.0', type: 'object', properties: { inner: { $ref: '/frag/1.0.0' } } })
  })
  const schemas = resolver({ sources: [source] })
  const [one, two] = await Promise.all([schemas.resolve('/one/1.0.0'), schemas.resolve('/two/1.0.0')])
  assert.equal(one.validate({}), false)
  assert.equal(two.validate({ inner: {} }), false)
  assert.equal(two.validate({ inner: { a: 1 } }), true)
  assert.equal(source.reads.filter((path) => path.startsWith('frag/')).length, 1)
})

test('$ref failures carry their own code and name the event\'s URI', async () => {
  const schemas = resolver({ sources: [createFileSchemaSource(craftedDir('refs'))] })
  await rejectsWith(schemas.resolve('/event/missing/1.0.0'), SchemaNotFoundError, (err) => {
    assert.equal(err.uri, '/event/missing/1.0.0')
    assert.equal(err.refUri, '/fragment/absent/1.0.0')
  })
  await rejectsWith(schemas.resolve('/event/insecure/1.0.0'), SchemaInsecureError, (err) => {
    assert.match(err.message, /^Failed loading schema at \/event\/insecure\/1\.0\.0: \$ref \/fragment\/insecure\/1\.0\.0: insecure schema/)
  })
  await rejectsWith(schemas.resolve('/event/mixed-draft/1.0.0'), SchemaInvalidError, (err) => {
    assert.match(err.message, /written for draft-04 but is referenced from a draft-07 schema/)
  })
})

test('$refs are subject to the same URI rules', async () => {
  const schemas = resolver({
    sources: [createMemorySource({
      'abs/1.0.0': JSON.stringify({ allOf: [{ $ref: 'http://169.254.169.254/latest/meta-data/' }] }),
      'up/1.0.0': JSON.stringify({ $id: '/up/1.0.0', allOf: [{ $ref: '/x/%2e%2e/%2e%2e/secret' }] })
    })]
  })
  await rejectsWith(schemas.resolve('/abs/1.0.0'), SchemaUriRefusedError, (err) => assert.equal(err.refUri, 'http://169.254.169.254/latest/meta-data/'))
  await rejectsWith(schemas.resolve('/up/1.0.0'), SchemaUriRefusedError)
})
