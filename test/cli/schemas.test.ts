import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runSchemasCommand } from '../../src/cli/schemas.js'
import { copySluiceSchemas, createGitFixture } from '../schemas/repository/git-fixture.js'
import type { GitFixture } from '../schemas/repository/git-fixture.js'

const primary = fileURLToPath(new URL('../fixtures/schemas/wikimedia-primary', import.meta.url))

interface Run { code: number, stdout: string, stderr: string }

async function sluice (cwd: string, ...args: string[]): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const sink = (append: (s: string) => void): Writable => new Writable({ write (chunk, _e, done) { append(String(chunk)); done() } })
  const code = await runSchemasCommand(args, {
    stdout: sink((s) => { stdout += s }),
    stderr: sink((s) => { stderr += s }),
    env: {},
    cwd,
    stopSignal: new Promise(() => {}),
    onReload: () => {}
  })
  return { code, stdout, stderr }
}

async function edit (fixture: GitFixture, path: string, change: (text: string) => string): Promise<void> {
  const file = join(fixture.dir, path)
  await writeFile(file, change(await readFile(file, 'utf8')))
}

/** A schema repository with this project's schemas on main, and a pull-request branch checked out. */
async function repository (t: Parameters<typeof createGitFixture>[0]): Promise<GitFixture> {
  const fixture = await createGitFixture(t)
  await copySluiceSchemas(fixture)
  await fixture.commit('schemas')
  await fixture.git('checkout', '--quiet', '-b', 'pull-request')
  return fixture
}

void test('an author adds a field, runs one command, and the pull-request check approves', async (t) => {
  const fixture = await repository(t)
  await edit(fixture, 'schemas/mediawiki/page/delete/current.yaml', (text) => text
    .replace('/mediawiki/page/delete/1.0.0', '/mediawiki/page/delete/1.1.0')
    .replace('  rev_count:', '  suppressed:\n    type: boolean\n    description: True when the page was suppressed, not only deleted\n  rev_count:'))
  const materialized = await sluice(fixture.dir, 'materialize')
  assert.equal(materialized.code, 0, materialized.stderr)
  assert.match(materialized.stdout, /mediawiki\/page\/delete 1\.1\.0 \(latest\): wrote .*mediawiki\/page\/delete\/1\.1\.0\.yaml/)
  await fixture.commit('mediawiki/page/delete: add suppressed')
  const check = await sluice(fixture.dir, 'check', '--since', 'main')
  assert.equal(check.code, 0, check.stdout)
  assert.match(check.stdout, /^ok: 1 schemas, 2 versions checked/)
  // Re-running materialize changes nothing.
  assert.match((await sluice(fixture.dir, 'materialize', 'schemas/mediawiki/page/delete')).stdout, /up to date/)
})

void test("changing a field's type fails the check, which says why and what would pass", async (t) => {
  const fixture = await repository(t)
  await edit(fixture, 'schemas/mediawiki/page/delete/current.yaml', (text) => text
    .replace('/mediawiki/page/delete/1.0.0', '/mediawiki/page/delete/1.1.0')
    .replace('  rev_count:\n    type: integer', '  rev_count:\n    type: string'))
  await edit(fixture, 'schemas/mediawiki/page/delete/current.yaml', (text) => text.replace('rev_count: 3', "rev_count: '3'"))
  assert.equal((await sluice(fixture.dir, 'materialize')).code, 0)
  await fixture.commit('mediawiki/page/delete: rev_count as string')
  const check = await sluice(fixture.dir, 'check', '--since', 'main')
  assert.equal(check.code, 1)
  // The string keeps the integer's `minimum`: the gateway could not compile that, and the check says so too.
  assert.equal(check.stdout, `mediawiki/page/delete/1.1.0.yaml at /properties/rev_count  [schema-is-valid]
    the gateway cannot compile it: strict mode: missing type "number" for keyword "minimum" at "/mediawiki/page/delete/1.1.0#/properties/rev_count" (strictTypes)
    would pass: fix what strict mode refuses: unknown keywords, or keywords of another type than the declared one

mediawiki/page/delete/1.1.0.yaml at /properties/rev_count/type  [schema-version-compatibility: type-changed]
    type changed from integer to string (compared with 1.0.0)
    would pass: keep the type integer (add a new optional field for the new type), or publish as 2.0.0

2 violations in 1 schemas checked
`)
  const json = JSON.parse((await sluice(fixture.dir, 'check', '--since', 'main', '--json')).stdout)
  assert.equal(json.ok, false)
  assert.deepEqual(json.violations.map((v: { rule: string }) => v.rule), ['schema-is-valid', 'schema-version-compatibility'])
  assert.deepEqual(Object.keys(json.violations[1]).sort(), ['after', 'before', 'category', 'change', 'comparedWith', 'file', 'fix', 'message', 'pointer', 'rule', 'schema', 'title', 'version'])
  assert.equal(json.violations[0].schema, '/mediawiki/page/delete/1.1.0')

  // The fixes the check suggests pass.
  await edit(fixture, 'schemas/mediawiki/page/delete/current.yaml', (text) => text
    .replace('/mediawiki/page/delete/1.1.0', '/mediawiki/page/delete/2.0.0')
    .replace('    type: string\n    minimum: 0\n', '    type: string\n'))
  await fixture.git('rm', '--quiet', '-r', 'schemas/mediawiki/page/delete/1.1.0', 'schemas/mediawiki/page/delete/1.1.0.yaml', 'schemas/mediawiki/page/delete/1.1.0.json')
  assert.equal((await sluice(fixture.dir, 'materialize', 'schemas/mediawiki/page/delete/current.yaml')).code, 0)
  const fixed = await sluice(fixture.dir, 'check', '--since', 'main')
  assert.equal(fixed.code, 0, fixed.stdout)
})

void test('editing a published version, or forgetting to materialize, fails the check', async (t) => {
  const fixture = await repository(t)
  await edit(fixture, 'schemas/resource_change/1.0.0.json', (text) => text.replace('"uniqueItems": true', '"uniqueItems": false'))
  const edited = await sluice(fixture.dir, 'check', '--since', 'main', '--json')
  assert.equal(edited.code, 1)
  const rules = JSON.parse(edited.stdout).violations.map((v: { rule: string, file: string }) => `${v.rule} ${v.file}`)
  assert.ok(rules.includes('structure-published-version-unchanged resource_change/1.0.0.json'), rules.join('\n'))
  assert.ok(rules.includes('structure-version-files-consistent resource_change/1.0.0.json'), rules.join('\n'))

  await fixture.git('checkout', '--quiet', '--', '.')
  await edit(fixture, 'schemas/test/event/current.yaml', (text) => text.replace('/test/event/1.0.0', '/test/event/1.1.0'))
  const forgotten = await sluice(fixture.dir, 'check', '--since', 'main')
  assert.equal(forgotten.code, 1)
  assert.match(forgotten.stdout, /current\.yaml is at 1\.1\.0, which is not materialized\n {4}would pass: run 'sluice schemas materialize test\/event\/current\.yaml'/)
})

void test('the whole repository is checked without --since, in any directory given with --dir', async (t) => {
  const fixture = await repository(t)
  const own = await sluice(fixture.dir, 'check')
  assert.equal(own.code, 0, own.stdout)
  const wikimedia = await sluice(fixture.dir, 'check', '--dir', primary, '--json')
  assert.equal(wikimedia.code, 1)
  const report = JSON.parse(wikimedia.stdout)
  assert.equal(report.checked.titles, 23)
  assert.deepEqual(report.violations.map((v: { schema: string }) => v.schema), ['/fragment/common/1.1.0'])
})

void test('usage errors exit 2 with a message', async (t) => {
  const fixture = await repository(t)
  assert.equal((await sluice(fixture.dir, '--help')).code, 0)
  assert.equal((await sluice(fixture.dir)).code, 2)
  const unknown = await sluice(fixture.dir, 'publish')
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command 'publish'/)
  const missing = await sluice(fixture.dir, 'check', '--dir', 'nowhere')
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /is not a directory/)
  const outside = await sluice(fixture.dir, 'materialize', 'README.md')
  assert.equal(outside.code, 2)
  const badRef = await sluice(fixture.dir, 'check', '--since', 'no-such-ref')
  assert.equal(badRef.code, 2)
  assert.match(badRef.stderr, /SLUICE_ERR_REGISTRY_GIT_FAILED/)
})

test('sluice schemas asyncapi writes the AsyncAPI document of a stream config, which the official parser reads without errors', async (t) => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const out = join(await mkdtemp(join(tmpdir(), 'sluice-asyncapi-')), 'asyncapi.yaml')
  t.after(() => rm(dirname(out), { recursive: true, force: true }))
  const run = await sluice(root, 'asyncapi', '--stream-config', 'stream-config', '--topic-prefix', 'eqiad.', '--topic-prefix', 'codfw.', '--out', out, '--yaml')
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /^wrote .*asyncapi\.yaml: \d+ channels, \d+ messages\n$/)
  const { Parser } = await import('@asyncapi/parser')
  const { document, diagnostics } = await new Parser().parse(await readFile(out, 'utf8'))
  assert.deepEqual(diagnostics.filter((d) => d.severity === 0).map((d) => d.message), [])
  const streams = document!.channels().all().map((c) => c.extensions().get('x-sluice-stream')?.value())
  assert.ok(streams.includes('mediawiki.page-create') && streams.includes('eventlogging_CpuBenchmark'), streams.join(' '))
  const toStdout = await sluice(root, 'asyncapi', '--stream-config', 'stream-config')
  assert.equal((JSON.parse(toStdout.stdout) as { asyncapi: string }).asyncapi, '3.0.0')
})

void test('the project\'s own schema repository passes `sluice schemas check`', async () => {
  const run = await sluice(fileURLToPath(new URL('../..', import.meta.url)), 'check')
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /^ok: \d+ schemas, \d+ versions checked/)
})
