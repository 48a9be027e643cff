import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { buildCanaryEvent, isCanaryEvent } from '../../src/canary/index.js'
import { enrichEvent } from '../../src/gateway/pipeline/enrich.js'
import { createFileSchemaSource } from '../../src/schemas/lookup/file-source.js'
import { createSchemaResolver } from '../../src/schemas/lookup/validator-cache.js'
import { formatErrorsText } from '../../src/schemas/index.js'
import { realSchemasDir, silentLogger } from '../schemas/lookup/support.js'

const request = { requestId: 'req-1', headers: {}, remoteAddress: '127.0.0.1', query: {} }

test('a canary is the schema\'s first example with meta.domain canary and meta.stream the stream, without meta.dt and meta.id', () => {
  const schema = {
    $id: '/mediawiki/page/change/1.2.0',
    examples: [
      { $schema: '/mediawiki/page/change/1.2.0', meta: { stream: 'example.stream', domain: 'en.wikipedia.org', dt: '2021-01-01T00:00:00Z', id: 'fixed', uri: 'https://en.wikipedia.org/wiki/A' }, page: { page_id: 1 } },
      { second: true }
    ]
  }
  const event = buildCanaryEvent('mediawiki.page_change.v1', schema, '/mediawiki/page/change/latest')
  assert.deepEqual(event, {
    $schema: '/mediawiki/page/change/1.2.0',
    meta: { stream: 'mediawiki.page_change.v1', domain: 'canary', uri: 'https://en.wikipedia.org/wiki/A' },
    page: { page_id: 1 }
  })
  assert.equal((schema.examples[0]!.meta as Record<string, unknown>).domain, 'en.wikipedia.org', 'the schema\'s example is not changed')
  assert.equal(isCanaryEvent(event), true)
})

test('an example without $schema or meta gets the schema\'s $id and a meta', () => {
  assert.deepEqual(buildCanaryEvent('s', { $id: '/a/1.0.0', examples: [{ x: 1 }] }, '/a/latest'), { x: 1, meta: { domain: 'canary', stream: 's' }, $schema: '/a/1.0.0' })
  assert.deepEqual(buildCanaryEvent('s', { examples: [{ x: 1 }] }, '/a/latest').$schema, '/a/latest')
})

test('a schema without examples makes no canary', () => {
  for (const schema of [{}, { examples: [] }, { examples: ['text'] }, { examples: {} }]) {
    assert.throws(() => buildCanaryEvent('s', schema, '/a/latest'), { code: 'SLUICE_ERR_CANARY_EXAMPLE_MISSING', message: 'stream s: its schema /a/latest has no examples to build a canary event from' })
  }
})

test('isCanaryEvent looks at meta.domain only', () => {
  assert.equal(isCanaryEvent({ meta: { domain: 'canary' } }), true)
  assert.equal(isCanaryEvent({ meta: { domain: 'en.wikipedia.org' } }), false)
  assert.equal(isCanaryEvent({ domain: 'canary' }), false)
  assert.equal(isCanaryEvent(null), false)
  assert.equal(isCanaryEvent([{ meta: { domain: 'canary' } }]), false)
})

function versions (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'fragment' ? [] : versions(path)
    return /^\d+\.\d+\.\d+\.yaml$/.test(name) ? [path] : []
  }).sort()
}

test('the canary of every real Wikimedia event schema with examples validates once the gateway has filled meta.dt and meta.id', async () => {
  const dir = join(realSchemasDir, 'primary', 'jsonschema')
  const resolver = createSchemaResolver({ sources: [createFileSchemaSource(dir)], fileExtension: '.yaml', allowAbsoluteUris: false, failureRetryMs: 0, maxSchemaBytes: 1 << 20, logger: silentLogger() })
  let checked = 0
  for (const file of versions(dir)) {
    const uri = `/${relative(dir, file).split(sep).join('/').replace(/\.yaml$/, '')}`
    const resolved = await resolver.resolve(uri)
    if (!Array.isArray(resolved.schema.examples)) continue
    const event = buildCanaryEvent('canary.test', resolved.schema, uri)
    enrichEvent(event, resolved.schema, request, { headersToFields: {}, now: new Date(), newId: () => '6c4b8b7e-6a4f-4d3e-9f1a-2b7c1d0e9f8a', title: resolved.title })
    assert.ok(resolved.validate(event), `${uri}: ${formatErrorsText(resolved.validate.errors ?? [])}`)
    checked++
  }
  assert.ok(checked >= 10, `only ${checked} schemas with examples`)
})
