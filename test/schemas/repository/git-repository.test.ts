import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { createLogger } from '../../../src/logger.js'
import { openGitRepository } from '../../../src/schemas/repository/open.js'
import type { GitSchemaRepository } from '../../../src/schemas/repository/git-repository.js'
import { openSchemaDirectory } from '../../../src/schemas/repository/directory-repository.js'
import { materializeTitles } from '../../../src/schemas/publishing/materialize-files.js'
import { RepositoryLoadError, RepositoryNotReadyError } from '../../../src/schemas/errors.js'
import { createSchemaMetrics } from '../../../src/metrics/schemas.js'
import { copySluiceSchemas, createGitFixture } from './git-fixture.js'
import type { GitFixture } from './git-fixture.js'

interface Harness {
  fixture: GitFixture
  cacheDir: string
  logs: Array<Record<string, unknown>>
  metrics: ReturnType<typeof createSchemaMetrics>
  open(options?: { ref?: string, pollIntervalMs?: number }): GitSchemaRepository
}

async function harness (t: TestContext): Promise<Harness> {
  const opened: GitSchemaRepository[] = []
  let cacheDir = ''
  // Registered before the fixture's own cleanup, because after-hooks run in registration
  // order: polling must stop before the fixture or the clone a poll may be using is removed.
  t.after(async () => {
    for (const repository of opened) await repository.close()
    if (cacheDir !== '') await rm(cacheDir, { recursive: true, force: true, maxRetries: 3 })
  })
  const fixture = await createGitFixture(t)
  await copySluiceSchemas(fixture)
  await fixture.write('README.md', 'schemas\n')
  await fixture.commit('add schemas')
  cacheDir = await mkdtemp(join(tmpdir(), 'sluice-git-cache-'))
  const logs: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk, _encoding, done) { logs.push(JSON.parse(String(chunk))); done() } })
  const logger = createLogger({ level: 'info', name: 'test' }, sink)
  const metrics = createSchemaMetrics(new Registry())
  return {
    fixture,
    cacheDir,
    logs,
    metrics,
    open (options = {}) {
      const repository = openGitRepository({ repository: fixture.dir, ref: options.ref ?? 'main', pollIntervalMs: options.pollIntervalMs ?? 0, cacheDir, logger, metrics })
      opened.push(repository)
      return repository
    }
  }
}

/** Publishes test/event 1.1.0 (a new optional field) in the fixture's work tree. */
async function publishTestEvent (fixture: GitFixture): Promise<void> {
  const file = join(fixture.dir, 'schemas/test/event/current.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('/test/event/1.0.0', '/test/event/1.1.0')
    .replace('  test_map:', '  test_note:\n    type: string\n    description: A note\n  test_map:'))
  const directory = await openSchemaDirectory(join(fixture.dir, 'schemas'))
  await materializeTitles({ directory, titles: ['test/event'] })
}

async function metricValue (metric: { get(): Promise<{ values: Array<{ value: number, labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get()
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0
}

void test('serves the committed schemas of the ref, found under schemas/', async (t) => {
  const h = await harness(t)
  const repository = h.open()
  await assert.rejects(repository.read('test/event/1.0.0.yaml'), RepositoryNotReadyError)
  await repository.start()
  assert.equal(repository.commit, (await h.fixture.git('rev-parse', 'HEAD')).trim())
  assert.match(await repository.read('test/event/1.0.0.yaml') ?? '', /\$id: \/test\/event\/1\.0\.0/)
  assert.equal((await repository.readVersion('mediawiki/revision/create', 'latest'))?.$id, '/mediawiki/revision/create/1.1.0')
  assert.deepEqual(await repository.listVersions('error'), ['0.0.3', '2.0.0', '2.1.0'])
  assert.ok((await repository.listTitles()).includes('fragment/common'))
  assert.match(await repository.read('error/latest') ?? '', /\$id: \/error\/2\.1\.0/)
  assert.equal(await metricValue(h.metrics.reloads, { result: 'success' }), 1)
  assert.ok(await metricValue(h.metrics.versions) >= 19)
})

void test('a reload serves new commits on the ref, and only committed content', async (t) => {
  const h = await harness(t)
  const repository = h.open()
  await repository.start()
  const first = repository.commit
  await publishTestEvent(h.fixture)
  assert.equal(await repository.reload(), true)
  assert.equal(repository.commit, first, 'uncommitted work is not served')
  assert.equal(await repository.readVersion('test/event', '1.1.0'), undefined)
  const second = await h.fixture.commit('test/event 1.1.0')
  assert.equal(await repository.reload(), true)
  assert.equal(repository.commit, second)
  assert.deepEqual(await repository.listVersions('test/event'), ['1.0.0', '1.1.0'])
  assert.equal((await repository.readVersion('test/event', 'latest'))?.$id, '/test/event/1.1.0')
  assert.ok(h.logs.some((l) => l.msg === 'serving schema repository commit' && l.commit === second))
})

void test('each environment follows its own ref', async (t) => {
  const h = await harness(t)
  await h.fixture.git('tag', 'production')
  await h.fixture.git('checkout', '--quiet', '-b', 'staging')
  await publishTestEvent(h.fixture)
  await h.fixture.commit('test/event 1.1.0 on staging')
  const production = h.open({ ref: 'production' })
  const staging = h.open({ ref: 'staging' })
  await production.start()
  await staging.start()
  assert.deepEqual(await production.listVersions('test/event'), ['1.0.0'])
  assert.deepEqual(await staging.listVersions('test/event'), ['1.0.0', '1.1.0'])
})

void test('a failed reload keeps the last good commit and shows in metrics and logs', async (t) => {
  const h = await harness(t)
  const repository = h.open()
  await repository.start()
  const served = repository.commit
  const moved = `${h.fixture.dir}-moved`
  await rename(h.fixture.dir, moved)
  t.after(() => rm(moved, { recursive: true, force: true }))
  assert.equal(await repository.reload(), false)
  assert.equal(repository.commit, served)
  assert.match(await repository.read('test/event/1.0.0.yaml') ?? '', /test\/event/)
  assert.equal(await metricValue(h.metrics.reloads, { result: 'failure' }), 1)
  assert.equal(await metricValue(h.metrics.reloadFailing), 1)
  assert.ok(h.logs.some((l) => l.level === 50 && l.msg === 'schema repository reload failed; still serving the previous commit'))
  await rename(moved, h.fixture.dir)
  assert.equal(await repository.reload(), true)
  assert.equal(await metricValue(h.metrics.reloadFailing), 0)
})

void test('the first load fails clearly for an unknown ref or repository', async (t) => {
  const h = await harness(t)
  await assert.rejects(h.open({ ref: 'no-such-branch' }).start(), (err: unknown) =>
    err instanceof RepositoryLoadError && err.code === 'SLUICE_ERR_REGISTRY_LOAD_FAILED' && /no-such-branch/.test(err.message))
  assert.throws(() => h.open({ ref: '--upload-pack=evil' }), /not an acceptable git revision/)
})

void test('polling picks up a new commit without a reload call', async (t) => {
  const h = await harness(t)
  const repository = h.open({ pollIntervalMs: 50 })
  await repository.start()
  await publishTestEvent(h.fixture)
  const next = await h.fixture.commit('test/event 1.1.0')
  const deadline = Date.now() + 20_000
  while (repository.commit !== next) {
    assert.ok(Date.now() < deadline, 'the poll did not pick up the new commit')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.deepEqual(await repository.listVersions('test/event'), ['1.0.0', '1.1.0'])
})

void test('a symlink pointing out of the schema tree is not followed', async (t) => {
  const h = await harness(t)
  await h.fixture.write('secret.yaml', 'token: x\n')
  await symlink('../../../secret.yaml', join(h.fixture.dir, 'schemas/test/event/9.9.9.yaml'))
  await h.fixture.commit('sneaky link')
  const repository = h.open()
  await repository.start()
  assert.equal(await repository.read('test/event/9.9.9.yaml'), undefined)
  assert.equal(await repository.readVersion('test/event', '9.9.9'), undefined)
})
