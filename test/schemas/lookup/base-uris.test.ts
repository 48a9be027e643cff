import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { pathToFileURL } from 'node:url'
import { Agent } from 'undici'
import { ConfigInvalidError } from '../../../src/errors.js'
import { createSourcesFromBaseUris } from '../../../src/schemas/lookup/base-uris.js'
import type { BaseUriSourceOptions } from '../../../src/schemas/lookup/base-uris.js'
import { craftedDir, fixturesDir, startServer } from './support.js'

function options (t: TestContext, cwd = fixturesDir): BaseUriSourceOptions {
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  return { dispatcher, timeoutMs: 2000, maxBytes: 1 << 20, userAgent: 'sluice-test', cwd }
}

test('file://, absolute and relative directories become file sources in order', async (t) => {
  const sources = createSourcesFromBaseUris([
    pathToFileURL(craftedDir('base-a')).href,
    craftedDir('base-b'),
    'schemas/drafts/'
  ], options(t))
  assert.deepEqual(sources.map((source) => source.baseUri), [
    `${pathToFileURL(craftedDir('base-a')).href}/`,
    `${pathToFileURL(craftedDir('base-b')).href}/`,
    `${pathToFileURL(craftedDir('drafts')).href}/`
  ])
  assert.match(await sources[0]?.read('both/event/1.0.0.yaml') ?? '', /from-base-a/)
  assert.match(await sources[1]?.read('both/event/1.0.0.yaml') ?? '', /from-base-b/)
  assert.match(await sources[2]?.read('draft07/1.0.0.yaml') ?? '', /title: draft07/)
})

test('http(s):// bases become HTTP sources', async (t) => {
  const server = await startServer(t, (_req, res) => { res.end('title: remote\n') })
  const [source] = createSourcesFromBaseUris([`${server.url}/repositories/primary/jsonschema`], options(t))
  assert.equal(source?.baseUri, `${server.url}/repositories/primary/jsonschema/`)
  assert.equal(await source?.read('test/event/1.0.0'), 'title: remote\n')
  assert.deepEqual(server.requests, ['/repositories/primary/jsonschema/test/event/1.0.0'])
})

test('unsupported bases are one configuration error naming each entry', (t) => {
  assert.throws(() => createSourcesFromBaseUris(['ftp://x/schemas/', 'schemas/', 'http://user:pw@x/', 'https://x/?q=1'], options(t)), (err: unknown) => {
    assert.ok(err instanceof ConfigInvalidError)
    assert.equal(err.code, 'SLUICE_ERR_CONFIG_INVALID')
    assert.equal(err.problems.length, 3)
    assert.match(err.problems[0] ?? '', /schema_base_uris\[0\] 'ftp:\/\/x\/schemas\/'/)
    assert.match(err.problems[1] ?? '', /schema_base_uris\[2\].*credentials/)
    assert.match(err.problems[2] ?? '', /schema_base_uris\[3\].*query/)
    return true
  })
})
