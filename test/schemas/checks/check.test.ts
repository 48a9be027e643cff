import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { checkRepository } from '../../../src/schemas/checks/check.js'
import { openSchemaDirectory } from '../../../src/schemas/repository/directory-repository.js'
import { formatReport, reportToJson } from '../../../src/schemas/checks/explain.js'
import { Agent } from 'undici'
import { readStreamConfig } from '../../../src/stream-config/index.js'
import { sluiceSchemas } from '../repository/git-fixture.js'

const primary = fileURLToPath(new URL('../../fixtures/schemas/wikimedia-primary', import.meta.url))

void test("Wikimedia's primary repository passes structure and robustness, apart from its own exceptions", async () => {
  const { repository, config } = await openSchemaDirectory(primary)
  assert.equal(config.file, '.jsonschema-tools.yaml')
  const report = await checkRepository({ repository, config })
  assert.equal(report.checked.titles, 23)
  assert.deepEqual(report.violations.filter((v) => v.category !== 'compatibility'), [])
  assert.ok(report.exempted > 0)
  // What jsonschema-tools let through: fragment/common 1.1.0 closed the object in a minor version.
  assert.deepEqual(report.violations.map((v) => [v.schema, v.change, v.pointer]),
    [['/fragment/common/1.1.0', 'additional-properties-closed', '/additionalProperties']])
})

void test('without its exceptions, the real repository shows exactly what they switch off', async () => {
  const { repository, config } = await openSchemaDirectory(primary)
  const report = await checkRepository({ repository, config: { ...config, exceptions: [] } })
  const exempted = new Set(report.violations.map((v) => `${v.schema.replace(/\/[^/]+$/, '')} ${v.rule}`))
  assert.deepEqual([...exempted].sort(), [
    '/fragment/common schema-version-compatibility',
    '/fragment/http schema-version-compatibility',
    '/fragment/mediawiki/state/change/page schema-version-compatibility',
    '/mediawiki/client/error schema-version-compatibility',
    '/mediawiki/job schema-deterministic-types',
    '/mediawiki/page/change schema-version-compatibility',
    '/mediawiki/recentchange schema-deterministic-types'
  ])
})

void test("this project's schema repository passes the whole check", async () => {
  const { repository, config } = await openSchemaDirectory(sluiceSchemas)
  const report = await checkRepository({ repository, config })
  assert.deepEqual(report.violations, [])
  // The change-prop (retry, delay) and job schemas' deterministic types, and the legacy EventLogging schemas' camelCase.
  assert.equal(report.exempted, 17)
  assert.match(formatReport(report), /^ok: \d+ schemas/)
  assert.equal(JSON.parse(reportToJson(report)).ok, true)
})

void test('a published version that changed since the base ref is reported', async () => {
  const { repository, config } = await openSchemaDirectory(sluiceSchemas)
  const report = await checkRepository({
    repository,
    config,
    titles: new Set(['test/event']),
    baseline: {
      ref: 'base',
      paths: ['test/event/1.0.0.yaml', 'test/event/0.9.0.yaml'],
      read: async (path) => path.endsWith('1.0.0.yaml') ? 'title: test/event\n$id: /test/event/1.0.0\n' : 'title: test/event\n'
    }
  })
  assert.deepEqual(report.violations.map((v) => [v.rule, v.file, /edited|deleted/.exec(v.message)?.[0]]), [
    ['structure-published-version-unchanged', 'test/event/1.0.0.yaml', 'edited'],
    ['structure-published-version-unchanged', 'test/event/0.9.0.yaml', 'deleted']
  ])
  assert.equal(report.checked.titles, 1)
})

void test("every stream in stream-config/ names a schema of this repository, and each schema's example names a configured stream", async (t) => {
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  const streams = await readStreamConfig({ uri: fileURLToPath(new URL('../../../stream-config', import.meta.url)), cwd: '.', dispatcher, timeoutMs: 1000 })
  const { repository } = await openSchemaDirectory(sluiceSchemas)
  const titles = await repository.listTitles()
  for (const [stream, settings] of Object.entries(streams)) {
    const title = (settings as { schema_title?: unknown }).schema_title
    assert.ok(typeof title === 'string' && titles.includes(title), `${stream}: no schema ${String(title)}`)
  }
  for (const wanted of ['eventgate.error.validation', 'test.event', 'resource_change', 'mediawiki.revision-create', 'mediawiki.page-delete', '/^mediawiki\\.job\\..+/']) {
    assert.ok(Object.hasOwn(streams, wanted), wanted)
  }
  const matches = (name: string): boolean => Object.keys(streams).some((key) => key === name || (key.startsWith('/') && new RegExp(key.slice(1, -1)).test(name)))
  for (const title of titles.filter((title) => !title.startsWith('fragment/'))) {
    const schema = await repository.readVersion(title, 'latest')
    const example = (schema?.examples as Array<{ meta: { stream: string } }> | undefined)?.[0]
    assert.ok(example !== undefined, `${title} has no example`)
    assert.ok(matches(example.meta.stream), `${title}: example stream ${example.meta.stream} is not configured`)
  }
})
