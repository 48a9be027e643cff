import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRepositoryCore, indexFiles } from '../../../src/schemas/repository/repository.js'
import { createDirectoryFiles } from '../../../src/schemas/repository/directory-files.js'
import { SchemaPathInvalidError } from '../../../src/schemas/errors.js'
import { parseSchemaText } from '../../../src/schemas/document/serialize.js'

const primary = fileURLToPath(new URL('../../fixtures/schemas/wikimedia-primary/jsonschema', import.meta.url))

void test('the index finds titles by their current.yaml or version files, nested titles included', () => {
  const index = indexFiles([
    'fragment/README.md',
    'fragment/http/1.0.0.yaml', 'fragment/http/1.10.0.yaml', 'fragment/http/1.2.0.yaml', 'fragment/http/latest', 'fragment/http/current.yaml',
    'fragment/http/client_ip/current.yaml', 'fragment/http/client_ip/1.0.0', 'fragment/http/CHANGELOG.md',
    'draft/new/current.yaml'
  ])
  assert.deepEqual([...index.titles.keys()], ['draft/new', 'fragment/http', 'fragment/http/client_ip'])
  assert.deepEqual(index.titles.get('fragment/http')?.versions, ['1.0.0', '1.2.0', '1.10.0'])
  assert.ok(index.titles.get('fragment/http')?.files.has('CHANGELOG.md'))
  assert.deepEqual(index.titles.get('draft/new')?.versions, [])
})

void test('pointer files left by a checkout without symlinks are followed', async () => {
  const repository = createRepositoryCore(createDirectoryFiles(primary), { immutable: false })
  const latest = parseSchemaText(await repository.read('mediawiki/revision/create/latest') ?? '', 'latest')
  assert.equal(latest.$id, '/mediawiki/revision/create/2.0.0')
  assert.equal((await repository.readVersion('test/event', '0.0.2'))?.$id, '/test/event/0.0.2')
  assert.deepEqual(await repository.listVersions('error'), ['0.0.3', '1.0.0', '2.0.0', '2.1.0'])
  assert.ok((await repository.listTitles()).includes('fragment/http/client_ip'))
})

void test('a format the repository does not store is converted from the one it does', async () => {
  const repository = createRepositoryCore(createDirectoryFiles(primary), { immutable: false })
  const json = await repository.read('error/2.1.0.json')
  assert.ok(json !== undefined)
  assert.equal(JSON.parse(json).$id, '/error/2.1.0')
  assert.equal(await repository.read('error/9.9.9.json'), undefined)
  assert.equal(await repository.read('nothing/here/1.0.0'), undefined)
})

void test('only published versions are read: never current.yaml or other files', async () => {
  const repository = createRepositoryCore(createDirectoryFiles(primary), { immutable: false })
  assert.equal(await repository.read('error/current.yaml'), undefined)
  assert.equal(await repository.read('error/CHANGELOG.md'), undefined)
  assert.equal(await repository.read('fragment/README.md'), undefined)
  assert.ok(await repository.read('error/2.1.0.yaml') !== undefined)
})

void test('reads never leave the schema tree', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tree-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'tree', 'a'), { recursive: true })
  await writeFile(join(dir, 'secret.yaml'), 'password: x\n')
  await writeFile(join(dir, 'tree', 'a', '1.0.0.yaml'), 'title: a\n$id: /a/1.0.0\n')
  await symlink('../../secret.yaml', join(dir, 'tree', 'a', '1.1.0.yaml'))
  const repository = createRepositoryCore(createDirectoryFiles(join(dir, 'tree')), { immutable: false })
  assert.equal(await repository.read('a/1.1.0.yaml'), undefined)
  await assert.rejects(repository.read('../secret.yaml'), SchemaPathInvalidError)
  await assert.rejects(repository.read('a/../../secret.yaml'), SchemaPathInvalidError)
  assert.match(await repository.read('a/1.0.0.yaml') ?? '', /title: a/)
})
