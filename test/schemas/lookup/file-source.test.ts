import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createFileSchemaSource } from '../../../src/schemas/lookup/file-source.js'
import { SchemaFetchError, SchemaTooLargeError, SchemaUriRefusedError } from '../../../src/schemas/lookup/errors.js'

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-source-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** repo/test/event/{1.0.0.yaml, latest -> 1.0.0.yaml, 1.0.0 -> 1.0.0.yaml} and a secret beside repo/. */
async function makeRepository (t: TestContext): Promise<{ root: string, repo: string }> {
  const root = await tempDir(t)
  const repo = join(root, 'repo')
  await mkdir(join(repo, 'test', 'event'), { recursive: true })
  await writeFile(join(repo, 'test', 'event', '1.0.0.yaml'), 'title: test/event\n')
  await symlink('1.0.0.yaml', join(repo, 'test', 'event', 'latest'))
  await symlink('1.0.0.yaml', join(repo, 'test', 'event', '1.0.0'))
  await writeFile(join(root, 'secret.yaml'), 'secret: true\n')
  return { root, repo }
}

test('reads files below its directory and reports absent ones as undefined', async (t) => {
  const { repo } = await makeRepository(t)
  const source = createFileSchemaSource(repo)
  assert.equal(await source.read('test/event/1.0.0.yaml'), 'title: test/event\n')
  assert.equal(await source.read('test/event/2.0.0.yaml'), undefined)
  assert.equal(await source.read('test/event/1.0.0.yaml/x'), undefined)
  assert.equal(await source.read('test/event'), undefined, 'a directory is not a schema')
  assert.equal(source.baseUri, `${pathToFileURL(repo).href}/`)
  assert.equal(source.description, source.baseUri)
})

test('follows symlinks that stay inside (WMF latest and extensionless links)', async (t) => {
  const { repo } = await makeRepository(t)
  const source = createFileSchemaSource(repo)
  assert.equal(await source.read('test/event/latest'), 'title: test/event\n')
  assert.equal(await source.read('test/event/1.0.0'), 'title: test/event\n')
})

test('works when the directory itself is reached through a symlink', async (t) => {
  const { root, repo } = await makeRepository(t)
  await symlink(repo, join(root, 'current'))
  assert.equal(await createFileSchemaSource(join(root, 'current')).read('test/event/latest'), 'title: test/event\n')
})

test('refuses symlinks that resolve outside its directory', async (t) => {
  const { root, repo } = await makeRepository(t)
  await symlink(join(root, 'secret.yaml'), join(repo, 'test', 'event', 'escape.yaml'))
  await symlink('../../../secret.yaml', join(repo, 'test', 'event', 'relative-escape.yaml'))
  await symlink(root, join(repo, 'outside'))
  await symlink('/etc', join(repo, 'etc'))
  const source = createFileSchemaSource(repo)
  for (const path of ['test/event/escape.yaml', 'test/event/relative-escape.yaml', 'outside/secret.yaml', 'etc/passwd']) {
    await assert.rejects(source.read(path), (err: unknown) => {
      assert.ok(err instanceof SchemaUriRefusedError, path)
      assert.match(err.message, /outside the schema repository/)
      return true
    })
  }
})

test('refuses paths that leave the directory even if a caller skipped normalization', async (t) => {
  const { repo } = await makeRepository(t)
  const source = createFileSchemaSource(repo)
  await assert.rejects(source.read('../secret.yaml'), SchemaUriRefusedError)
  await assert.rejects(source.read('/etc/passwd'), SchemaUriRefusedError)
})

test('refuses files over maxBytes without reading them', async (t) => {
  const { repo } = await makeRepository(t)
  await writeFile(join(repo, 'big.yaml'), 'x'.repeat(2048))
  const source = createFileSchemaSource(repo, { maxBytes: 1024 })
  await assert.rejects(source.read('big.yaml'), (err: unknown) => err instanceof SchemaTooLargeError && err.limit === 1024)
  assert.equal(await source.read('test/event/1.0.0.yaml'), 'title: test/event\n')
})

test('a missing repository directory is an I/O failure, not an absent schema', async (t) => {
  const root = await tempDir(t)
  const source = createFileSchemaSource(join(root, 'nope'))
  await assert.rejects(source.read('test/event/1.0.0.yaml'), (err: unknown) => err instanceof SchemaFetchError && err.retriable)
})

test('a symlink loop is an I/O failure', async (t) => {
  const { repo } = await makeRepository(t)
  await symlink('loop-b', join(repo, 'loop-a'))
  await symlink('loop-a', join(repo, 'loop-b'))
  await assert.rejects(createFileSchemaSource(repo).read('loop-a'), SchemaFetchError)
})
