import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isExempt, loadRepositoryConfig, parseJsonschemaToolsConfig, parseSluiceConfig } from '../../../src/schemas/repository/config.js'
import { RepositoryConfigInvalidError } from '../../../src/schemas/errors.js'
import { sluiceSchemas } from './git-fixture.js'

const primary = fileURLToPath(new URL('../../fixtures/schemas/wikimedia-primary', import.meta.url))

void test("a Wikimedia .jsonschema-tools.yaml is read: base path, content types, skips, generated examples", async () => {
  const config = await loadRepositoryConfig(primary)
  assert.equal(config.schemaBasePath, './jsonschema/')
  assert.deepEqual(config.contentTypes, ['yaml'])
  assert.equal(config.generatedExamples, true)
  assert.equal(config.conventions.stripNestedIds, false)
  assert.ok(isExempt(config, '/mediawiki/recentchange/1.0.1', 'schema-deterministic-types'))
  assert.ok(isExempt(config, '/fragment/http/1.2.0', 'schema-version-compatibility'))
  assert.ok(!isExempt(config, '/fragment/http/1.1.0', 'schema-version-compatibility'))
  assert.ok(!isExempt(config, '/mediawiki/recentchange/1.0.1', 'schema-is-secure'))
})

void test("this project's .sluice-schemas.yaml lists its exceptions with reasons", async () => {
  const config = await loadRepositoryConfig(sluiceSchemas)
  assert.equal(config.file, '.sluice-schemas.yaml')
  assert.deepEqual(config.contentTypes, ['yaml', 'json'])
  assert.equal(config.conventions.stripNestedIds, true)
  assert.ok(config.exceptions.every((e) => e.reason.length > 10))
  assert.ok(isExempt(config, '/mediawiki/job/1.0.0', 'schema-deterministic-types'))
})

void test('a directory without a config gets the defaults', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const config = await loadRepositoryConfig(dir)
  assert.equal(config.file, undefined)
  assert.equal(config.schemaBasePath, '.')
  await writeFile(join(dir, '.sluice-schemas.yaml'), 'contentTypes: [xml]\n')
  await assert.rejects(loadRepositoryConfig(dir), RepositoryConfigInvalidError)
})

void test('unknown rules, bad regexes and missing reasons are refused with every problem listed', () => {
  assert.throws(() => parseSluiceConfig('exceptions:\n  - schemas: a\n    rules: [schema-is-secure]\n', 'x.yaml'), /reason: is required/)
  assert.throws(() => parseSluiceConfig('exceptions:\n  - schemas: "("\n    rules: [no-such-rule]\n    reason: because\n', 'x.yaml'),
    (err: unknown) => err instanceof RepositoryConfigInvalidError && err.problems.length === 2)
  assert.throws(() => parseJsonschemaToolsConfig('skipSchemaTestCases:\n  a: [schema-made-up]\n', 'y.yaml'), /unknown rule 'schema-made-up'/)
})
