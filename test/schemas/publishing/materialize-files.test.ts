import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openSchemaDirectory } from '../../../src/schemas/repository/directory-repository.js'
import { dependencyOrder, materializeTitles } from '../../../src/schemas/publishing/materialize-files.js'
import { RefUnresolvedError, VersionPublishedError } from '../../../src/schemas/errors.js'
import { copySluiceSchemas, createGitFixture } from '../repository/git-fixture.js'

void test('materializing again writes nothing: the output is byte-identical', async (t) => {
  const fixture = await createGitFixture(t)
  const base = await copySluiceSchemas(fixture)
  const directory = await openSchemaDirectory(base)
  const titles = [...(await directory.repository.index()).titles.values()].map((e) => e.title)
  const before = await readFile(join(base, 'mediawiki/revision/create/1.1.0.yaml'), 'utf8')
  const results = await materializeTitles({ directory, titles })
  assert.deepEqual(results.filter((r) => r.written.length > 0), [])
  assert.equal(await readFile(join(base, 'mediawiki/revision/create/1.1.0.yaml'), 'utf8'), before)
})

void test('a new version gets its files and moves latest; an older one leaves latest alone', async (t) => {
  const fixture = await createGitFixture(t)
  const base = await copySluiceSchemas(fixture)
  const file = join(base, 'test/event/current.yaml')
  const source = await readFile(file, 'utf8')
  await writeFile(file, source.replace('/test/event/1.0.0', '/test/event/1.1.0').replace('  test_map:', '  test_count:\n    type: integer\n    description: A counter\n  test_map:'))
  const directory = await openSchemaDirectory(base)
  const [result] = await materializeTitles({ directory, titles: ['test/event'] })
  assert.deepEqual(result?.written.sort(), ['test/event/1.1.0', 'test/event/1.1.0.json', 'test/event/1.1.0.yaml', 'test/event/latest', 'test/event/latest.json', 'test/event/latest.yaml'])
  assert.equal(await readlink(join(base, 'test/event/latest')), '1.1.0.yaml')
  const yaml = await readFile(join(base, 'test/event/1.1.0.yaml'), 'utf8')
  assert.match(yaml, /test_count:\n {4}description: A counter\n {4}type: integer\n {4}maximum: 9007199254740991\n {4}minimum: -9007199254740991/)

  await writeFile(file, source.replace('/test/event/1.0.0', '/test/event/0.9.0'))
  const [older] = await materializeTitles({ directory, titles: ['test/event'] })
  assert.equal(older?.latest, false)
  assert.equal(await readlink(join(base, 'test/event/latest')), '1.1.0.yaml')
})

void test('a committed version is never rewritten with different content', async (t) => {
  const fixture = await createGitFixture(t)
  const base = await copySluiceSchemas(fixture)
  await fixture.commit('schemas')
  const file = join(base, 'test/event/current.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('A test value;', 'A reworded test value;'))
  const directory = await openSchemaDirectory(base)
  const published = async (path: string): Promise<string | undefined> => readFile(join(base, path), 'utf8').catch(() => undefined)
  await assert.rejects(materializeTitles({ directory, titles: ['test/event'], published }), VersionPublishedError)
  const [forced] = await materializeTitles({ directory, titles: ['test/event'], published, force: true })
  assert.ok(forced?.written.includes('test/event/1.0.0.yaml'))
})

void test('fragments are materialized before the schemas that include them', () => {
  const sources = new Map<string, unknown>([
    ['b', { allOf: [{ $ref: '/fragment/a/1.0.0#' }] }],
    ['fragment/a', { properties: { x: { $ref: '/fragment/c/2.0.0#/properties/y' } } }],
    ['fragment/c', {}]
  ])
  assert.deepEqual(dependencyOrder(sources), ['fragment/c', 'fragment/a', 'b'])
  assert.throws(() => dependencyOrder(new Map([['a', { $ref: '/b/1.0.0' }], ['b', { $ref: '/a/1.0.0' }]])), RefUnresolvedError)
})
