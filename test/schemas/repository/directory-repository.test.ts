import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDirectoryRepository, openSchemaDirectory } from '../../../src/schemas/repository/directory-repository.js'
import { sluiceSchemas } from './git-fixture.js'

const primaryRoot = fileURLToPath(new URL('../../fixtures/schemas/wikimedia-primary', import.meta.url))

void test("a repository directory's config names where the schemas are", async () => {
  const wikimedia = openDirectoryRepository(primaryRoot)
  assert.ok((await wikimedia.listTitles()).includes('mediawiki/revision/create'))
  assert.match(await wikimedia.read('mediawiki/revision/create/1.1.0') ?? '', /\$id: \/mediawiki\/revision\/create\/1\.1\.0/)
  const { base } = await openSchemaDirectory(primaryRoot)
  assert.equal(base, join(primaryRoot, 'jsonschema'))
})

void test('edits on disk are served at once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-dir-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await cp(sluiceSchemas, dir, { recursive: true, verbatimSymlinks: true })
  const repository = openDirectoryRepository(dir)
  assert.deepEqual(await repository.listVersions('test/event'), ['1.0.0'])
  const text = await readFile(join(dir, 'test/event/1.0.0.yaml'), 'utf8')
  await writeFile(join(dir, 'test/event/1.1.0.yaml'), text.replaceAll('/test/event/1.0.0', '/test/event/1.1.0'))
  assert.deepEqual(await repository.listVersions('test/event'), ['1.0.0', '1.1.0'])
  assert.equal((await repository.readVersion('test/event', '1.1.0'))?.$id, '/test/event/1.1.0')
})
