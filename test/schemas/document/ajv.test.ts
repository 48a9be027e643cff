import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createAjvSet, draftOf, prepareSchema } from '../../../src/schemas/document/ajv.js'
import type { Draft } from '../../../src/schemas/document/ajv.js'
import { silentLogger } from '../lookup/support.js'

test('the draft comes from $schema; http/https and a trailing # do not matter; none means draft-07', () => {
  const cases: Array<[unknown, Draft | undefined]> = [
    [undefined, 'draft-07'],
    ['http://json-schema.org/draft-07/schema#', 'draft-07'],
    ['https://json-schema.org/draft-07/schema#', 'draft-07'],
    ['https://json-schema.org/draft-07/schema', 'draft-07'],
    ['http://json-schema.org/draft-04/schema#', 'draft-04'],
    ['http://json-schema.org/draft-06/schema', 'draft-06'],
    ['https://json-schema.org/draft/2019-09/schema', '2019-09'],
    ['http://json-schema.org/draft/2019-09/schema#', '2019-09'],
    ['https://json-schema.org/draft/2020-12/schema', '2020-12'],
    ['https://json-schema.org/draft-03/schema#', undefined],
    ['https://example.org/my-meta-schema', undefined],
    ['/fragment/common/1.0.0', undefined],
    [42, undefined]
  ]
  for (const [metaSchema, draft] of cases) {
    assert.equal(draftOf(metaSchema === undefined ? {} : { $schema: metaSchema }), draft, String(metaSchema))
  }
})

test('prepareSchema strips nested $id/$schema, keeps the root $id and never touches examples', () => {
  const fragment = { $id: '/fragment/slot/1.0.0', $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', examples: [{ $schema: '/fragment/slot/1.0.0' }] }
  const schema = {
    $id: '/event/1.0.0',
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { main: fragment, other: { items: fragment } },
    additionalProperties: fragment,
    examples: [{ $schema: '/event/1.0.0', $id: 'kept', nested: { $schema: 'kept' } }]
  }
  const prepared = prepareSchema(schema, 'draft-07')
  assert.deepEqual(prepared, {
    $id: '/event/1.0.0',
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      main: { type: 'object', examples: [{ $schema: '/fragment/slot/1.0.0' }] },
      other: { items: { type: 'object', examples: [{ $schema: '/fragment/slot/1.0.0' }] } }
    },
    additionalProperties: { type: 'object', examples: [{ $schema: '/fragment/slot/1.0.0' }] },
    examples: [{ $schema: '/event/1.0.0', $id: 'kept', nested: { $schema: 'kept' } }]
  })
  assert.equal(schema.properties.main.$id, '/fragment/slot/1.0.0', 'the original is not modified')
})

test('draft-04 uses id: nested ones are stripped, properties named id are kept', () => {
  const prepared = prepareSchema({
    $schema: 'http://json-schema.org/draft-04/schema',
    id: '/legacy/1.0.0',
    properties: { id: { type: 'string' }, inner: { id: '/inner/1.0.0', type: 'object' } }
  }, 'draft-04')
  assert.deepEqual(prepared, {
    $schema: 'http://json-schema.org/draft-04/schema#',
    id: '/legacy/1.0.0',
    properties: { id: { type: 'string' }, inner: { type: 'object' } }
  })
})

test('a duplicate nested $id, which Ajv 8 rejects, compiles once prepared', async () => {
  const slot = { $id: '/fragment/slot/1.0.0', type: 'object', properties: { size: { type: 'integer' } } }
  const schema = { $id: '/dup/1.0.0', type: 'object', properties: { main: slot }, additionalProperties: slot }
  const ajvFor = createAjvSet({ loadSchema: async () => { throw new Error('no refs here') }, logger: silentLogger() })
  await assert.rejects(ajvFor('draft-07').compileAsync(structuredClone(schema)), /resolves to more than one schema/)
  const validate = await createAjvSet({ loadSchema: async () => ({}), logger: silentLogger() })('draft-07').compileAsync(prepareSchema(schema, 'draft-07'))
  assert.equal(validate({ main: { size: 1 }, other: { size: 2 } }), true)
  assert.equal(validate({ main: { size: 'x' } }), false)
})

test('one Ajv per draft, each reused', () => {
  const ajvFor = createAjvSet({ loadSchema: async () => ({}), logger: silentLogger() })
  assert.equal(ajvFor('draft-07'), ajvFor('draft-07'))
  assert.notEqual(ajvFor('draft-07'), ajvFor('draft-06'))
  assert.notEqual(ajvFor('2019-09'), ajvFor('2020-12'))
})

test('strict mode rejects unknown keywords unless declared as annotations', async () => {
  const schema = { type: 'object', tags: ['x'] }
  await assert.rejects(createAjvSet({ loadSchema: async () => ({}), logger: silentLogger() })('draft-07').compileAsync(schema), /unknown keyword: "tags"/)
  const ajvFor = createAjvSet({ loadSchema: async () => ({}), logger: silentLogger(), annotationKeywords: ['tags'] })
  const validate = await ajvFor('draft-07').compileAsync(schema)
  assert.equal(validate({}), true)
})

test('formats use fast mode, like EventGate: unencoded non-ASCII URIs are accepted, dates need a zone', async () => {
  const ajvFor = createAjvSet({ loadSchema: async () => ({}), logger: silentLogger() })
  const uri = await ajvFor('draft-07').compileAsync({ type: 'string', format: 'uri-reference', maxLength: 100 })
  assert.equal(uri('https://de.wikipedia.org/wiki/Straße'), true)
  assert.equal(uri('/wiki/a b'), false)
  const dt = await ajvFor('draft-07').compileAsync({ type: 'string', format: 'date-time', maxLength: 100 })
  assert.equal(dt('2019-01-01T00:00:00Z'), true)
  assert.equal(dt('yesterday'), false)
  assert.equal(dt('2019-01-01T00:00:00'), false)
})

test('the anyOf-of-required pattern compiles (strictRequired is off)', async () => {
  const ajvFor = createAjvSet({ loadSchema: async () => ({}), logger: silentLogger() })
  const validate = await ajvFor('draft-07').compileAsync({
    type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }]
  })
  assert.equal(validate({ b: 'x' }), true)
  assert.equal(validate({}), false)
})
