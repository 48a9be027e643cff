import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSchemaDirectory } from '../../../src/schemas/repository/directory-repository.js'
import { checkTitleStructure } from '../../../src/schemas/checks/structure.js'
import { sluiceSchemas } from '../repository/git-fixture.js'

async function copy (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-structure-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await cp(sluiceSchemas, dir, { recursive: true, verbatimSymlinks: true })
  return dir
}

async function structureOf (dir: string, title: string): Promise<string[]> {
  const { repository, config } = await openSchemaDirectory(dir)
  const entry = (await repository.index()).titles.get(title)
  assert.ok(entry !== undefined, title)
  const { violations } = await checkTitleStructure(repository, config, entry)
  return violations.map((v) => `${v.rule} ${v.file ?? ''}`)
}

void test("this project's schemas are structurally sound", async () => {
  const { repository, config } = await openSchemaDirectory(sluiceSchemas)
  for (const entry of (await repository.index()).titles.values()) {
    const { violations } = await checkTitleStructure(repository, config, entry)
    assert.deepEqual(violations, [], entry.title)
  }
})

void test('current.yaml edited without a version bump no longer materializes to the latest version', async (t) => {
  const dir = await copy(t)
  const file = join(dir, 'test/event/current.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('A test value;', 'A changed test value;'))
  assert.deepEqual(await structureOf(dir, 'test/event'), ['structure-current-materializes-to-latest test/event/current.yaml'])
})

void test('a hand-edited published file is caught', async (t) => {
  const dir = await copy(t)
  const file = join(dir, 'test/event/1.0.0.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('type: string', 'type: integer'))
  const found = await structureOf(dir, 'test/event')
  assert.ok(found.includes('structure-current-materializes-to-latest test/event/current.yaml'), found.join('\n'))
  assert.ok(found.includes('structure-version-files-consistent test/event/1.0.0.json'), found.join('\n'))
})

void test('a new version in current.yaml that was not materialized is reported', async (t) => {
  const dir = await copy(t)
  const file = join(dir, 'test/event/current.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('/test/event/1.0.0', '/test/event/1.1.0'))
  const [found] = await structureOf(dir, 'test/event')
  assert.equal(found, 'structure-current-materializes-to-latest test/event/current.yaml')
})

void test('title, $id, missing content types and wrong pointers are each reported', async (t) => {
  const dir = await copy(t)
  const yaml = join(dir, 'resource_change/1.0.0.yaml')
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('title: resource_change', 'title: resource-change').replace('$id: /resource_change/1.0.0', '$id: /resource_change/1.0.1'))
  await unlink(join(dir, 'resource_change/1.0.0.json'))
  await unlink(join(dir, 'resource_change/latest'))
  await symlink('1.0.0.json', join(dir, 'resource_change/latest'))
  const found = await structureOf(dir, 'resource_change')
  for (const expected of [
    'structure-title-matches-directory resource_change/1.0.0.yaml',
    'structure-id-matches-path resource_change/1.0.0.yaml',
    'structure-version-files-consistent resource_change/1.0.0.json',
    'structure-version-files-consistent resource_change/latest'
  ]) assert.ok(found.includes(expected), `${expected} not in\n${found.join('\n')}`)
})

void test('a $ref to a version that does not exist is reported on current.yaml', async (t) => {
  const dir = await copy(t)
  const file = join(dir, 'test/event/current.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('/fragment/common/1.0.0#', '/fragment/common/7.0.0#'))
  assert.deepEqual(await structureOf(dir, 'test/event'), ['structure-readable test/event/current.yaml'])
})
