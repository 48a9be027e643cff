import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Parser } from '@asyncapi/parser'
import type { AsyncAPIDocumentInterface } from '@asyncapi/parser'
import yaml from 'js-yaml'
import { request } from 'undici'
import { testTmpDir } from '../helpers/kafka.js'
import { startStreamsFixture } from './fixture.js'

// GET /?asyncapi on the stream service (against the test run's broker), read by the official
// AsyncAPI parser, and regenerated when the service reloads.

const projectSchemas = fileURLToPath(new URL('../../schemas/', import.meta.url))
const parser = new Parser()

async function fetchDocument (url: string): Promise<AsyncAPIDocumentInterface> {
  const res = await request(`${url}/?asyncapi`)
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  const { document, diagnostics } = await parser.parse(await res.body.text())
  assert.deepEqual(diagnostics.filter((d) => d.severity === 0).map((d) => d.message), [], 'no errors')
  assert.ok(document !== undefined)
  return document
}

const streamsOf = (document: AsyncAPIDocumentInterface): unknown[] => document.channels().all().map((c) => c.extensions().get('x-sluice-stream')?.value()).sort()

test('GET /?asyncapi describes every stream of the stream config; a reload regenerates it with new streams and schema versions', async (t) => {
  // A schema repository of its own, to publish a version while the service runs.
  const repository = await mkdtemp(join(testTmpDir(), 'sluice-asyncapi-'))
  t.after(() => rm(repository, { recursive: true, force: true }))
  await cp(join(projectSchemas, 'test'), join(repository, 'test'), { recursive: true })
  const fixture = await startStreamsFixture(t, {
    config: { stream_config_defaults: { topic_prefixes: ['eqiad.'] }, asyncapi_schema_repository: repository, asyncapi_servers: { eqiad: { host: '127.0.0.1:9092', protocol: 'kafka' } } }
  })
  const { a, aa, b } = fixture.names

  const before = await fetchDocument(fixture.url)
  assert.deepEqual(streamsOf(before), ['/^regex\\..+/', a, b].sort())
  const channelA = before.channels().all().find((c) => c.extensions().get('x-sluice-stream')?.value() === a)!
  assert.equal(channelA.address(), `{topic_prefix}${a}`)
  assert.deepEqual(channelA.extensions().get('x-sluice-topics')?.value(), [`eqiad.${a}`, `codfw.${a}`], 'its own topic_prefixes win over the defaults')
  assert.deepEqual(channelA.extensions().get('x-sluice-aliases')?.value(), [aa])
  assert.deepEqual(channelA.messages().all().map((m) => m.id()), ['test_event-1.0.0'])
  assert.equal(before.servers().get('eqiad')?.protocol(), 'kafka')

  // A new stream in the config file and a new version of test/event, then a reload (SIGHUP).
  const streamsYaml = join(fixture.dir, 'streams.yaml')
  const config = yaml.load(await readFile(streamsYaml, 'utf8')) as Record<string, unknown>
  await writeFile(streamsYaml, yaml.dump({ ...config, [`c-${fixture.id}`]: { schema_title: 'test/event' } }))
  const next = (yaml.load(await readFile(join(repository, 'test/event/1.0.0.yaml'), 'utf8')) as Record<string, unknown>)
  await writeFile(join(repository, 'test/event/1.1.0.yaml'), yaml.dump({ ...next, $id: '/test/event/1.1.0' }))
  assert.equal(await fixture.service.reload(), true)

  const after = await fetchDocument(fixture.url)
  assert.deepEqual(streamsOf(after), ['/^regex\\..+/', a, b, `c-${fixture.id}`].sort())
  const channelC = after.channels().all().find((c) => c.extensions().get('x-sluice-stream')?.value() === `c-${fixture.id}`)!
  assert.equal(channelC.address(), `eqiad.c-${fixture.id}`, 'the defaults\' prefix')
  assert.deepEqual(channelC.messages().all().map((m) => m.id()).sort(), ['test_event-1.0.0', 'test_event-1.1.0'])
})

test('without a schema repository the document still has every stream, without messages', async (t) => {
  const fixture = await startStreamsFixture(t, { config: { asyncapi_schema_repository: join(testTmpDir(), 'no-such-repository') } })
  const document = await fetchDocument(fixture.url)
  assert.equal(document.channels().length, 3)
  assert.equal(document.allMessages().length, 0)
})
