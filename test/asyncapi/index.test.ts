import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Parser } from '@asyncapi/parser'
import type { AsyncAPIDocumentInterface } from '@asyncapi/parser'
import { Agent } from 'undici'
import { buildAsyncApiDocument, generateAsyncApi } from '../../src/asyncapi/index.js'
import { openDirectoryRepository } from '../../src/schemas/index.js'
import { readStreamConfig } from '../../src/stream-config/index.js'
import { topicsOf } from '../../src/streams/index.js'

// The platform's AsyncAPI document, read by the official AsyncAPI parser (@asyncapi/parser):
// zero errors, every stream a channel.

const root = fileURLToPath(new URL('../../', import.meta.url))
const info = { title: 'Sluice event platform', version: '0.1.0', description: 'test' }
const parser = new Parser()

async function parse (document: unknown): Promise<AsyncAPIDocumentInterface> {
  const { document: parsed, diagnostics } = await parser.parse(JSON.stringify(document))
  // Severity 0 is an error, 1 a warning; the only other note is that AsyncAPI 3.1 exists.
  const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`)
  assert.deepEqual(problems, [], 'no errors and no warnings')
  assert.ok(parsed !== undefined)
  return parsed
}

const streamOf = (channel: { extensions: () => { get: (name: string) => { value: () => unknown } | undefined } }): unknown => channel.extensions().get('x-sluice-stream')?.value()

test('the project\'s stream config and schema repository: every stream a channel, every version a message, with its examples', async () => {
  const streams = await readStreamConfig({ uri: `${root}stream-config/`, cwd: root, dispatcher: new Agent(), timeoutMs: 1000 })
  const repository = openDirectoryRepository(`${root}schemas/`)
  const defaults = { topic_prefixes: ['eqiad.', 'codfw.'] }
  const document = await generateAsyncApi({ streams, defaults, topicsOf: (name, settings) => topicsOf(name, settings, { defaults, aliases: {} }), repository, info })
  const parsed = await parse(document)

  const channels = parsed.channels().all()
  assert.deepEqual(channels.map(streamOf).sort(), Object.keys(streams).sort(), 'every stream, once')
  const byStream = new Map(channels.map((c) => [streamOf(c), c]))

  const revisionCreate = byStream.get('mediawiki.revision-create')!
  assert.equal(revisionCreate.address(), '{topic_prefix}mediawiki.revision-create')
  assert.deepEqual(revisionCreate.parameters().get('topic_prefix')?.schema()?.enum(), ['eqiad.', 'codfw.'])
  const versions = await repository.listVersions('mediawiki/revision/create')
  assert.deepEqual(revisionCreate.messages().all().map((m) => m.id()).sort(), versions.map((v) => `mediawiki_revision_create-${v}`).sort())

  const testEvent = byStream.get('test.event')!.messages().all()[0]!
  assert.equal(testEvent.payload()?.properties()?.test?.type(), 'string', 'the schema is the payload')
  assert.equal(testEvent.examples().all()[0]?.payload()?.test, 'specific test value', 'the schema\'s example')
  assert.equal(testEvent.extensions().get('x-sluice-schema-uri')?.value(), '/test/event/1.0.0')

  assert.equal(byStream.get('eventlogging_CpuBenchmark')?.address(), 'eventlogging_CpuBenchmark', 'topic_prefixes: null is one topic, the stream name')
  const jobs = byStream.get('/^mediawiki\\.job\\..+/')!
  assert.equal(jobs.address(), null, 'a regex of streams has no fixed address')
  assert.equal(jobs.extensions().get('x-sluice-stream-pattern')?.value(), '^mediawiki\\.job\\..+')
  assert.equal(parsed.operations().all().length, channels.filter((c) => c.messages().length > 0).length, 'a send operation per stream with messages')
})

test('Wikimedia\'s own schemas (inlined fragments with nested $ids) parse as payloads', async () => {
  const repository = openDirectoryRepository(`${root}test/fixtures/schemas/wikimedia-primary`)
  const streams = {
    'mediawiki.page_change.v1': { schema_title: 'mediawiki/page/change' },
    'mediawiki.revision-create': { schema_title: 'mediawiki/revision/create' },
    'mediawiki.recentchange': { schema_title: 'mediawiki/recentchange' },
    'no.schema': { schema_title: 'not/in/the/repository' }
  }
  const parsed = await parse(await generateAsyncApi({ streams, defaults: {}, topicsOf: (name) => [name], repository, info }))
  const byStream = new Map(parsed.channels().all().map((c) => [streamOf(c), c]))
  assert.ok((byStream.get('mediawiki.page_change.v1')?.messages().length ?? 0) > 0)
  assert.equal(byStream.get('no.schema')?.messages().length, 0, 'a stream whose schema is missing is still a channel')
})

test('a schema\'s own #/definitions pointers still resolve once it sits in the document\'s components', async () => {
  const schema = {
    title: 'local/refs',
    $id: '/local/refs/1.0.0',
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    definitions: { revision: { type: 'object', properties: { rev_id: { type: 'integer' } } } },
    properties: { prior: { $ref: '#/definitions/revision' }, nested: { $id: '/fragment/x/1.0.0', type: 'string' } }
  }
  const document = buildAsyncApiDocument({ streams: { s: { schema_title: 'local/refs' } }, defaults: {}, topicsOf: (name) => [name], schemas: new Map([['local/refs', [{ version: '1.0.0', schema }]]]), info })
  const parsed = await parse(document)
  const payload = parsed.allMessages().all()[0]!.payload()!
  assert.equal(payload.properties()?.prior?.properties()?.rev_id?.type(), 'integer')
  assert.equal((payload.properties()?.nested?.json() as Record<string, unknown>).$id, undefined, 'nested $ids are dropped')
})
