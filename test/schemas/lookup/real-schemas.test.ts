/**
 * Every real Wikimedia schema under test/fixtures/realschemas compiles, and
 * every real example validates against its version. The cases come from the
 * directory listing, so copying in more schemas adds more cases.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { Ajv } from 'ajv'
import yaml from 'js-yaml'
import { createFileSchemaSource } from '../../../src/schemas/lookup/file-source.js'
import { formatErrorsText } from '../../../src/schemas/lookup/errors-text.js'
import { createSchemaResolver } from '../../../src/schemas/lookup/validator-cache.js'
import type { SchemaResolver } from '../../../src/schemas/lookup/validator-cache.js'
import { realSchemasDir, silentLogger } from './support.js'

interface Repository {
  name: string
  dir: string
  extension: '.yaml' | '.json'
}

const repositories: Repository[] = [
  { name: 'primary', dir: join(realSchemasDir, 'primary', 'jsonschema'), extension: '.yaml' },
  { name: 'primary-json-2022', dir: join(realSchemasDir, 'primary-json-2022', 'jsonschema'), extension: '.json' },
  { name: 'secondary', dir: join(realSchemasDir, 'secondary', 'jsonschema'), extension: '.yaml' }
]

/**
 * Examples that are genuinely invalid against their own schema, with the reason.
 * None are at the pinned commits: the quirky ones (`dt"`, `user_text"`,
 * `medaiwiki.page-delete`) sit where unknown keys and any stream name are allowed.
 */
const knownInvalidExamples: ReadonlyMap<string, string> = new Map()

function listFiles (dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return listFiles(path, pattern)
    return pattern.test(name) ? [path] : []
  }).sort()
}

function resolverFor (repository: Repository): SchemaResolver {
  return createSchemaResolver({
    sources: [createFileSchemaSource(repository.dir)],
    fileExtension: repository.extension,
    allowAbsoluteUris: false,
    failureRetryMs: 0,
    maxSchemaBytes: 1 << 20,
    logger: silentLogger()
  })
}

/** `<dir>/mediawiki/revision/create/2.0.0.yaml` → `/mediawiki/revision/create/2.0.0`. */
function uriOf (dir: string, file: string): string {
  return `/${relative(dir, file).split(sep).join('/').replace(/\.(yaml|json)$/, '')}`
}

for (const repository of repositories) {
  const files = listFiles(repository.dir, /^\d+\.\d+\.\d+\.(yaml|json)$/)
  test(`${repository.name}: the fixture directory holds schemas`, () => {
    assert.ok(files.length > 0, `no schemas under ${repository.dir}`)
  })
  const schemas = resolverFor(repository)
  for (const file of files) {
    const uri = uriOf(repository.dir, file)
    test(`${repository.name}: ${uri} compiles`, async () => {
      const resolved = await schemas.resolve(uri)
      assert.equal(resolved.id, uri)
      assert.equal(typeof resolved.validate, 'function')
    })
  }
}

const examplesDir = join(realSchemasDir, 'examples')
const exampleFiles = listFiles(examplesDir, /\.examples\.json$/)

test('the examples fixture directory holds examples', () => {
  assert.ok(exampleFiles.length >= 43, `expected the real examples, found ${exampleFiles.length}`)
})

for (const file of exampleFiles) {
  // examples/<repo>/<title>/<version>.examples.json
  const [repoName, ...rest] = relative(examplesDir, file).split(sep)
  const uri = `/${rest.join('/').replace(/\.examples\.json$/, '')}`
  const examples = JSON.parse(readFileSync(file, 'utf8')) as unknown[]
  const targets = repositories.filter((repository) => repository.name === repoName || (repoName === 'primary' && repository.name === 'primary-json-2022'))
  for (const repository of targets) {
    if (!statSync(join(repository.dir, `${uri.slice(1)}${repository.extension}`), { throwIfNoEntry: false })?.isFile()) continue
    const schemas = resolverFor(repository)
    examples.forEach((example, index) => {
      const key = `${repoName}${uri}#${index}`
      test(`${repository.name}: example ${index} of ${uri} validates`, async () => {
        const resolved = await schemas.resolve(uri)
        const valid = resolved.validate(structuredClone(example))
        const reason = knownInvalidExamples.get(key)
        if (reason === undefined) {
          assert.equal(valid, true, formatErrorsText(resolved.validate.errors ?? []))
        } else {
          assert.equal(valid, false, `${key} is listed as invalid (${reason}) but validates: take it off the list`)
        }
      })
    })
  }
}

test('every materialized version with an examples keyword has its examples fixture', () => {
  for (const repository of repositories.filter((r) => r.name !== 'primary-json-2022')) {
    for (const file of listFiles(repository.dir, /^\d+\.\d+\.\d+\.yaml$/)) {
      const document = yaml.load(readFileSync(file, 'utf8')) as { examples?: unknown[] }
      if (document.examples === undefined) continue
      const examples = join(examplesDir, repository.name, `${uriOf(repository.dir, file).slice(1)}.examples.json`)
      assert.deepEqual(JSON.parse(readFileSync(examples, 'utf8')), document.examples, examples)
    }
  }
})

test('mediawiki/revision/create/2.0.0 nests a duplicate $id that plain Ajv 8 refuses; the resolver compiles it', async () => {
  const file = join(repositories[0]?.dir ?? '', 'mediawiki', 'revision', 'create', '2.0.0.yaml')
  const text = readFileSync(file, 'utf8')
  assert.ok(text.split('$id: /fragment/mediawiki/revision/slot/1.0.0').length - 1 >= 2, 'the fixture still has the duplicate')
  const plain = new Ajv({ strict: false })
  assert.throws(() => plain.compile(yaml.load(text) as object), /resolves to more than one schema/)

  const resolved = await resolverFor(repositories[0] as Repository).resolve('/mediawiki/revision/create/2.0.0')
  const slot = { rev_slot_content_model: 'wikitext', rev_slot_sha1: 'abc', rev_slot_size: 1, rev_slot_origin_rev_id: 1 }
  const base = JSON.parse(readFileSync(join(examplesDir, 'primary', 'mediawiki', 'revision', 'create', '2.0.0.examples.json'), 'utf8'))[0] as Record<string, unknown>
  assert.equal(resolved.validate({ ...structuredClone(base), rev_slots: { main: slot, extra: slot } }), true, formatErrorsText(resolved.validate.errors ?? []))
  // Both inlined copies of the fragment still validate: the map value and the required main slot.
  assert.equal(resolved.validate({ ...structuredClone(base), rev_slots: { main: slot, extra: { ...slot, rev_slot_size: 'big' } } }), false)
  assert.equal(resolved.validate({ ...structuredClone(base), rev_slots: { main: { ...slot, rev_slot_size: 'big' } } }), false)
})

test('the .yaml and .json materializations of a version share one validator', async () => {
  const [primary, json] = repositories as [Repository, Repository]
  const schemas = createSchemaResolver({
    sources: [createFileSchemaSource(primary.dir), createFileSchemaSource(json.dir)],
    allowAbsoluteUris: false,
    failureRetryMs: 0,
    maxSchemaBytes: 1 << 20,
    logger: silentLogger()
  })
  const fromYaml = await schemas.resolve('/mediawiki/revision/create/1.2.0')
  const fromJson = await schemas.resolve('/mediawiki/revision/create/1.2.0.json')
  assert.equal(fromJson.id, fromYaml.id)
  assert.equal(fromJson.validate, fromYaml.validate)
})
