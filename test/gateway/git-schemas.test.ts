import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openSchemaDirectory, materializeTitles } from '../../src/schemas/index.js'
import { createGateway } from '../../src/gateway/index.js'
import { copySluiceSchemas, createGitFixture } from '../schemas/repository/git-fixture.js'
import { createCapturingProducer, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { waitFor } from '../helpers/wait.js'

const streamConfig = fileURLToPath(new URL('../../stream-config/', import.meta.url))

function event (version: string): Record<string, unknown> {
  return { $schema: `/test/event/${version}`, meta: { stream: 'test.event' }, dt: '2026-01-01T00:00:00Z', test: 'x' }
}

test('the gateway validates against what is committed on the ref, and picks up new commits on reload', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-gateway-git-'))
  t.after(() => rm(cacheDir, { recursive: true, force: true, maxRetries: 3 }))
  const fixture = await createGitFixture(t)
  await copySluiceSchemas(fixture)
  await fixture.commit('schemas')

  const producer = createCapturingProducer()
  const gateway = await createGateway(testGatewayConfig({
    schema_base_uris: [],
    stream_config_uri: streamConfig,
    schema_git: { repository: fixture.dir, ref: 'main', path: 'schemas', poll_interval_ms: 0, cache_dir: cacheDir }
  }), { cwd: cacheDir, logger: testLogger(), producer })
  t.after(() => gateway.close())
  const post = async (body: Record<string, unknown>): Promise<number> => (await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: body })).statusCode

  assert.equal(await post(event('1.0.0')), 201)
  assert.equal(await post(event('1.1.0')), 500, '1.1.0 is not published yet')

  // An author publishes test/event 1.1.0 but has not committed it: not served.
  const current = join(fixture.dir, 'schemas/test/event/current.yaml')
  await writeFile(current, (await readFile(current, 'utf8')).replace('/test/event/1.0.0', '/test/event/1.1.0')
    .replace('  test_map:', '  test_note:\n    type: string\n    description: A note\n  test_map:'))
  await materializeTitles({ directory: await openSchemaDirectory(join(fixture.dir, 'schemas')), titles: ['test/event'] })
  assert.deepEqual(await gateway.reload(), { streams: true, schemas: true })
  assert.equal(await post(event('1.1.0')), 500, 'uncommitted versions are never served')

  // Merged: the next reload serves it, without a restart.
  await fixture.commit('test/event 1.1.0')
  const reloaded = await gateway.app.inject({ method: 'POST', url: '/admin/reload' })
  assert.equal(reloaded.statusCode, 200)
  assert.deepEqual(reloaded.json(), { streams: true, schemas: true })
  assert.equal(await post({ ...event('1.1.0'), test_note: 'new field' }), 201)
  assert.equal(await post({ ...event('1.1.0'), test_note: 7 }), 400, 'and validates against it')
  const listing = (await gateway.app.inject({ method: 'GET', url: '/schemas/test/event/', headers: { accept: 'application/json' } })).body
  assert.match(listing, /1\.1\.0/)
  assert.equal(producer.records.filter((r) => r.topic === 'eqiad.test.event').length, 2)
})

test('a polled commit changes what …/latest validates against, without a reload', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-gateway-git-'))
  t.after(() => rm(cacheDir, { recursive: true, force: true, maxRetries: 3 }))
  const fixture = await createGitFixture(t)
  await copySluiceSchemas(fixture)
  await fixture.commit('schemas')

  const gateway = await createGateway(testGatewayConfig({
    schema_base_uris: [],
    stream_config_uri: streamConfig,
    schema_git: { repository: fixture.dir, ref: 'main', path: 'schemas', poll_interval_ms: 100, cache_dir: cacheDir }
  }), { cwd: cacheDir, logger: testLogger(), producer: createCapturingProducer() })
  t.after(() => gateway.close())
  const post = async (body: Record<string, unknown>): Promise<number> => (await gateway.app.inject({ method: 'POST', url: '/v1/events', payload: body })).statusCode

  // `latest` is 1.0.0, compiled and cached; 1.0.0 knows no test_note.
  assert.equal(await post(event('latest')), 201)
  assert.equal(await post({ ...event('latest'), test_note: 'a note' }), 400)

  const current = join(fixture.dir, 'schemas/test/event/current.yaml')
  await writeFile(current, (await readFile(current, 'utf8')).replace('/test/event/1.0.0', '/test/event/1.1.0')
    .replace('  test_map:', '  test_note:\n    type: string\n    description: A note\n  test_map:'))
  await materializeTitles({ directory: await openSchemaDirectory(join(fixture.dir, 'schemas')), titles: ['test/event'] })
  await fixture.commit('test/event 1.1.0')

  // No SIGHUP, no /admin/reload: the poll alone makes `latest` mean 1.1.0.
  await waitFor('latest to validate against 1.1.0', async () => await post({ ...event('latest'), test_note: 'a note' }) === 201, 15000, 100)
  assert.equal(await post({ ...event('latest'), test_note: 7 }), 400, 'and validates against it')
})
