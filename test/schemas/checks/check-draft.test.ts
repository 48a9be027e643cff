import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkDraft } from '../../../src/schemas/checks/check-draft.js'
import { openDirectoryRepository } from '../../../src/schemas/repository/directory-repository.js'
import { loadRepositoryConfig } from '../../../src/schemas/repository/config.js'
import { parseSchemaText } from '../../../src/schemas/document/serialize.js'
import { DraftInvalidError } from '../../../src/schemas/errors.js'
import { sluiceSchemas } from '../repository/git-fixture.js'

async function current (title: string): Promise<Record<string, unknown>> {
  return parseSchemaText(await readFile(join(sluiceSchemas, title, 'current.yaml'), 'utf8'), title)
}

void test('a draft adding an optional field in a new minor version passes', async () => {
  const repository = openDirectoryRepository(sluiceSchemas)
  const config = await loadRepositoryConfig(sluiceSchemas)
  const draft = await current('mediawiki/page/delete')
  draft.$id = '/mediawiki/page/delete/1.1.0'
  ;(draft.properties as Record<string, unknown>).suppressed = { type: 'boolean', description: 'True for a suppression' }
  const result = await checkDraft(repository, draft, { config })
  assert.deepEqual(result.violations, [])
  assert.equal(result.ok, true)
  assert.equal(result.comparedWith, '1.0.0')
  assert.equal((result.materialized?.properties as Record<string, unknown>).suppressed !== undefined, true)
})

void test('a draft retyping a field is explained, with what would pass', async () => {
  const repository = openDirectoryRepository(sluiceSchemas)
  const config = await loadRepositoryConfig(sluiceSchemas)
  const draft = await current('mediawiki/page/delete')
  draft.$id = '/mediawiki/page/delete/1.1.0'
  ;(draft.properties as Record<string, Record<string, unknown>>).rev_count = { type: 'string', description: 'now a string' }
  const result = await checkDraft(repository, draft, { config })
  assert.equal(result.ok, false)
  // The example no longer fits either.
  assert.deepEqual(result.violations.map((x) => x.rule), ['schema-examples-are-valid', 'schema-version-compatibility'])
  const v = result.violations[1]
  assert.equal(v?.change, 'type-changed')
  assert.equal(v?.pointer, '/properties/rev_count/type')
  assert.match(v?.fix ?? '', /publish as 2\.0\.0/)
})

void test('a draft that changes a published version without a bump is refused', async () => {
  const repository = openDirectoryRepository(sluiceSchemas)
  const config = await loadRepositoryConfig(sluiceSchemas)
  const draft = await current('test/event')
  ;(draft.properties as Record<string, Record<string, unknown>>).test = { type: 'string', description: 'different' }
  const result = await checkDraft(repository, draft, { config })
  assert.deepEqual(result.violations.map((v) => v.rule), ['structure-published-version-unchanged'])
  const unchanged = await checkDraft(repository, await current('test/event'), { config })
  assert.deepEqual(unchanged.violations, [])
})

void test('a draft without a usable title is not a draft', async () => {
  const repository = openDirectoryRepository(sluiceSchemas)
  const config = await loadRepositoryConfig(sluiceSchemas)
  await assert.rejects(checkDraft(repository, { type: 'object' }, { config }), DraftInvalidError)
  let deep: Record<string, unknown> = { type: 'string' }
  for (let i = 0; i < 200; i++) deep = { type: 'object', properties: { a: deep } }
  await assert.rejects(checkDraft(repository, { title: 'x', ...deep }, { config }), /nested deeper than 64 levels/)
  const result = await checkDraft(repository, { title: 'brand/new', $id: '/brand/new/1.0.0', $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', properties: { a: { type: 'string' } } }, { config })
  assert.equal(result.ok, true)
})
