import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import yaml from 'js-yaml'
import { Registry } from 'prom-client'
import { createLogger } from '../../../src/logger.js'
import { schemaRoutes } from '../../../src/schemas/api/routes.js'
import { openDirectoryRepository } from '../../../src/schemas/repository/directory-repository.js'
import { loadRepositoryConfig } from '../../../src/schemas/repository/config.js'
import { createSchemaMetrics } from '../../../src/metrics/schemas.js'
import { Writable } from 'node:stream'
import { sluiceSchemas } from '../repository/git-fixture.js'

const streams = {
  'mediawiki.page-delete': { schema_title: 'mediawiki/page/delete', topics: ['mediawiki.page-delete'] },
  'test.event': { schema_title: 'test/event' }
}

async function build (t: TestContext): Promise<{ app: FastifyInstance, metrics: ReturnType<typeof createSchemaMetrics> }> {
  const app = Fastify()
  const logger = createLogger({ level: 'silent', name: 'test' }, new Writable({ write (_c, _e, done) { done() } }))
  const metrics = createSchemaMetrics(new Registry())
  await app.register(schemaRoutes(openDirectoryRepository(sluiceSchemas), { logger, streams: () => streams, metrics, config: await loadRepositoryConfig(sluiceSchemas) }))
  await app.ready()
  t.after(() => app.close())
  return { app, metrics }
}

void test('GET /schemas/ lists titles and /schemas/<title>/ its versions', async (t) => {
  const { app } = await build(t)
  const titles = await app.inject('/schemas/')
  assert.equal(titles.statusCode, 200)
  assert.match(titles.headers['content-type'] as string, /^application\/json/)
  assert.ok(titles.json().titles.includes('mediawiki/revision/create'))
  const versions = await app.inject('/schemas/mediawiki/revision/create/')
  assert.deepEqual(versions.json(), { title: 'mediawiki/revision/create', versions: ['1.0.0', '1.1.0'], latest: '1.1.0' })
  assert.equal(versions.headers['cache-control'], 'public, max-age=60')
  const redirect = await app.inject('/schemas/mediawiki/revision/create')
  assert.equal(redirect.statusCode, 301)
  assert.equal(redirect.headers.location, 'create/')
})

void test('a version is the materialized schema, JSON by default and YAML on request', async (t) => {
  const { app } = await build(t)
  const expected = yaml.load(await readFile(join(sluiceSchemas, 'error/2.1.0.yaml'), 'utf8'))
  const json = await app.inject('/schemas/error/2.1.0')
  assert.equal(json.statusCode, 200)
  assert.match(json.headers['content-type'] as string, /^application\/json/)
  assert.deepEqual(json.json(), expected)
  assert.equal(json.headers['cache-control'], 'public, max-age=31536000, immutable')
  assert.equal(json.headers.vary, 'accept')
  const negotiated = await app.inject({ url: '/schemas/error/2.1.0', headers: { accept: 'application/yaml' } })
  assert.match(negotiated.headers['content-type'] as string, /^application\/yaml/)
  assert.deepEqual(yaml.load(negotiated.body), expected)
  const suffixed = await app.inject({ url: '/schemas/error/2.1.0.yaml', headers: { accept: 'application/json' } })
  assert.match(suffixed.headers['content-type'] as string, /^application\/yaml/)
  assert.equal(suffixed.headers.vary, undefined)
  assert.deepEqual((await app.inject('/schemas/error/2.1.0.json')).json(), expected)
})

void test('latest resolves to the newest version and is cached briefly', async (t) => {
  const { app } = await build(t)
  const latest = await app.inject('/schemas/mediawiki/revision/create/latest')
  assert.equal(latest.json().$id, '/mediawiki/revision/create/1.1.0')
  assert.equal(latest.headers['cache-control'], 'public, max-age=60')
  assert.equal(latest.headers['content-location'], '/schemas/mediawiki/revision/create/1.1.0')
})

void test('works as a schema base URI: the event $schema appended to it resolves', async (t) => {
  const { app } = await build(t)
  const base = '/schemas/'
  const response = await app.inject(`${base}${'/test/event/1.0.0'}`)
  assert.equal(response.statusCode, 200)
  assert.equal(response.json().$id, '/test/event/1.0.0')
})

void test('ETag answers If-None-Match with 304', async (t) => {
  const { app } = await build(t)
  const first = await app.inject('/schemas/test/event/1.0.0')
  const etag = first.headers.etag as string
  assert.match(etag, /^"[\w-]+"$/)
  const again = await app.inject({ url: '/schemas/test/event/1.0.0', headers: { 'if-none-match': etag } })
  assert.equal(again.statusCode, 304)
  assert.equal(again.body, '')
  const yamlTag = (await app.inject('/schemas/test/event/1.0.0.yaml')).headers.etag
  assert.notEqual(yamlTag, etag)
})

void test('browsers may read it cross-origin, preflight included', async (t) => {
  const { app } = await build(t)
  assert.equal((await app.inject('/schemas/test/event/1.0.0')).headers['access-control-allow-origin'], '*')
  assert.equal((await app.inject('/schemas/nope/1.0.0')).headers['access-control-allow-origin'], '*')
  const preflight = await app.inject({ method: 'OPTIONS', url: '/schemas/check', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } })
  assert.equal(preflight.statusCode, 204)
  assert.match(preflight.headers['access-control-allow-methods'] as string, /POST/)
})

void test('unknown titles and versions are 404 with a problem body', async (t) => {
  const { app, metrics } = await build(t)
  for (const [url, detail] of [['/schemas/no/such/title/', 'No schema titled'], ['/schemas/test/event/9.9.9', 'No version 9.9.9'], ['/schemas/no/such/1.0.0', 'No schema titled']]) {
    const response = await app.inject(url as string)
    assert.equal(response.statusCode, 404, url)
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/)
    const body = response.json()
    assert.equal(body.status, 404)
    assert.equal(body.code, 'SLUICE_ERR_REGISTRY_SCHEMA_NOT_FOUND')
    assert.match(body.detail, new RegExp(detail as string))
  }
  const counted = (await metrics.requests.get()).values.filter((v) => v.labels.status_class === '4xx').reduce((n, v) => n + v.value, 0)
  assert.equal(counted, 3)
})

void test('path traversal is impossible', async (t) => {
  const { app } = await build(t)
  for (const url of ['/schemas/../package.json', '/schemas/%2e%2e/%2e%2e/package.json', '/schemas/test/event/..%2f..%2f..%2fpackage.json',
    '/schemas/.sluice-schemas.yaml', '/schemas/test/event/current.yaml', '/schemas/test/..%5c..%5cpackage.json']) {
    const response = await app.inject(url)
    assert.ok(response.statusCode === 400 || response.statusCode === 404, `${url}: ${response.statusCode}`)
    assert.doesNotMatch(response.body, /"name": "sluice"|stripNestedIds/, url)
  }
})

void test('POST /schemas/check answers the violations the CLI would report', async (t) => {
  const { app, metrics } = await build(t)
  const draft = yaml.load(await readFile(join(sluiceSchemas, 'mediawiki/page/delete/current.yaml'), 'utf8')) as Record<string, unknown>
  const properties = draft.properties as Record<string, unknown>
  draft.$id = '/mediawiki/page/delete/1.1.0'
  properties.suppressed = { type: 'boolean', description: 'True for a suppression' }
  const passing = await app.inject({ method: 'POST', url: '/schemas/check', payload: { schema: draft } })
  assert.equal(passing.statusCode, 200)
  assert.equal(passing.json().ok, true)

  properties.parsedcomment = { type: 'integer', description: 'retyped' }
  const failing = await app.inject({ method: 'POST', url: '/schemas/check', headers: { 'content-type': 'application/yaml' }, payload: yaml.dump(draft) })
  const body = failing.json()
  assert.equal(body.ok, false)
  assert.deepEqual(body.violations.map((v: { change?: string, pointer: string }) => [v.change, v.pointer]), [['type-changed', '/properties/parsedcomment/type']])
  assert.match(body.violations[0].fix, /publish as 2\.0\.0/)
  assert.equal((await metrics.checks.get()).values.find((v) => v.labels.result === 'fail')?.value, 1)

  const bad = await app.inject({ method: 'POST', url: '/schemas/check', headers: { 'content-type': 'application/yaml' }, payload: 'a: [' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'SLUICE_ERR_REGISTRY_DRAFT_INVALID')
  const notObject = await app.inject({ method: 'POST', url: '/schemas/check', payload: [1, 2] })
  assert.equal(notObject.statusCode, 400)
})

void test('browsers get HTML pages with the schemas, streams, fields and examples', async (t) => {
  const { app } = await build(t)
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
  const index = await app.inject({ url: '/schemas/', headers: html })
  assert.match(index.headers['content-type'] as string, /^text\/html/)
  assert.match(index.headers['content-security-policy'] as string, /default-src 'none'/)
  assert.match(index.body, /<a href="\/schemas\/mediawiki\/page\/delete\/">mediawiki\/page\/delete<\/a>/)
  assert.match(index.body, /<code>mediawiki\.page-delete<\/code>/)
  const page = await app.inject({ url: '/schemas/mediawiki/page/delete/', headers: html })
  assert.match(page.body, /<code>meta\.stream<\/code>/)
  assert.match(page.body, /Housekeeping/)
})
