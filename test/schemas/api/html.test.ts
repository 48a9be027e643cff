import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { createLogger } from '../../../src/logger.js'
import { escapeHtml, renderSchemaPage, schemaFields } from '../../../src/schemas/api/html.js'
import { schemaRoutes } from '../../../src/schemas/api/routes.js'
import { openDirectoryRepository } from '../../../src/schemas/repository/directory-repository.js'
import { sluiceSchemas } from '../repository/git-fixture.js'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

void test('fields are listed as dotted paths with type, requiredness and constraints', () => {
  const rows = schemaFields({
    required: ['meta'],
    properties: {
      meta: { type: 'object', required: ['stream'], properties: { stream: { type: 'string', minLength: 1, description: ' Stream name ' } } },
      tags: { type: 'array', items: { type: 'string' } },
      slots: { type: 'object', additionalProperties: { type: 'object', properties: { size: { type: 'integer', maximum: 9 } } } },
      kind: { type: 'string', enum: ['a', 'b'] }
    }
  })
  assert.deepEqual(rows.map((r) => [r.path, r.type, r.required, r.constraints]), [
    ['meta', 'object', true, ''],
    ['meta.stream', 'string', true, 'minLength: 1'],
    ['tags', 'array of string', false, ''],
    ['slots', 'map of object', false, ''],
    ['slots.*', 'object', false, ''],
    ['slots.*.size', 'integer', false, 'maximum: 9'],
    ['kind', 'string', false, 'one of "a", "b"']
  ])
  assert.equal(rows[1]?.description, 'Stream name')
})

void test('schema text is escaped, never markup', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  const page = renderSchemaPage({ title: 't', version: '1.0.0', versions: ['1.0.0'], schema: { description: '<script>alert(1)</script>', examples: [{ a: '</pre><b>' }] }, streams: [] })
  assert.ok(!page.includes('<script>alert'))
  assert.ok(!page.includes('</pre><b>'))
})

/** Loads a URL in headless Chromium and returns the DOM after scripts ran. */
function dumpDom (url: string, profile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--dump-dom', url
    ], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err === null ? resolve(stdout) : reject(err)))
  })
}

async function serve (t: TestContext, dir: string): Promise<string> {
  const app = Fastify()
  const logger = createLogger({ level: 'silent', name: 'test' }, new Writable({ write (_c, _e, done) { done() } }))
  const streams = { 'mediawiki.revision-create': { schema_title: 'mediawiki/revision/create', topics: ['mediawiki.revision-create'] } }
  await app.register(schemaRoutes(openDirectoryRepository(dir), { logger, streams: () => streams }))
  t.after(() => app.close())
  return app.listen({ host: '127.0.0.1', port: 0 })
}

void test('a real browser shows the schema list, the streams, and a schema with its versions, fields and examples', async (t) => {
  await access(chromium).catch(() => assert.fail(`Chromium is needed at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`))
  const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'))
  t.after(() => rm(profile, { recursive: true, force: true }))
  const origin = await serve(t, sluiceSchemas)

  const index = await dumpDom(`${origin}/schemas/`, profile)
  assert.match(index, /<h1>Schemas<\/h1>/)
  assert.match(index, /<a href="\/schemas\/mediawiki\/revision\/create\/">mediawiki\/revision\/create<\/a>/)
  assert.match(index, /<a href="\/schemas\/mediawiki\/revision\/create\/1\.1\.0">1\.1\.0<\/a>/)
  assert.match(index, /<code>mediawiki\.revision-create<\/code>/)

  const schema = await dumpDom(`${origin}/schemas/mediawiki/revision/create/`, profile)
  assert.match(schema, /<h1>mediawiki\/revision\/create <small>1\.1\.0<\/small><\/h1>/)
  assert.match(schema, /<a href="\/schemas\/mediawiki\/revision\/create\/1\.0\.0">1\.0\.0<\/a>/)
  assert.match(schema, /<code>rev_revert_details\.rev_revert_method<\/code>/)
  assert.match(schema, /one of "rollback", "undo", "manual"/)
  assert.match(schema, /<code>rev_slots\.\*<\/code>/)
  assert.match(schema, /<pre id="example-0">[^<]*"page_title": "Sluice"/)

  const older = await dumpDom(`${origin}/schemas/mediawiki/revision/create/1.0.0`, profile)
  assert.match(older, /<small>1\.0\.0<\/small>/)
  assert.doesNotMatch(older, /rev_revert_details/)
})

void test('markup in a schema cannot run in the browser', async (t) => {
  await access(chromium).catch(() => assert.fail(`Chromium is needed at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`))
  const dir = await mkdtemp(join(tmpdir(), 'sluice-html-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await cp(sluiceSchemas, dir, { recursive: true, verbatimSymlinks: true })
  const file = join(dir, 'test/event/1.0.0.yaml')
  const hostile = `"<img src=x onerror=\\"document.title='owned'\\"><script>document.title='owned'</script>"`
  await writeFile(file, (await readFile(file, 'utf8')).replace(/^description: .*$/m, `description: ${hostile}`))
  const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'))
  t.after(() => rm(profile, { recursive: true, force: true }))
  const origin = await serve(t, dir)
  const dom = await dumpDom(`${origin}/schemas/test/event/1.0.0`, profile)
  assert.match(dom, /<title>test\/event 1\.0\.0<\/title>/)
  assert.match(dom, /&lt;script&gt;document\.title='owned'&lt;\/script&gt;/)
  assert.doesNotMatch(dom, /owned<\/title>/)
})
