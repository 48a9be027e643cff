import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dereference } from '../../../src/schemas/publishing/dereference.js'
import { RefUnresolvedError } from '../../../src/schemas/errors.js'

const fragment = { title: 'fragment/x', $id: '/fragment/x/1.0.0', properties: { a: { type: 'string' }, b: { type: 'integer' } }, definitions: { n: { type: 'number' } } }
const load = async (id: string): Promise<unknown> => (id === '/fragment/x/1.0.0' ? fragment : undefined)

void test('refs to other schemas, pointers into them, and local pointers are inlined', async () => {
  const out = await dereference({
    $id: '/s/1.0.0',
    properties: {
      whole: { $ref: '/fragment/x/1.0.0#' },
      one: { $ref: '/fragment/x/1.0.0#/properties/a' },
      local: { $ref: '#/definitions/d' },
      dotted: { $ref: './#/definitions/d' }
    },
    definitions: { d: { type: 'boolean' } },
    examples: [{ $schema: { $ref: '#/$id' } }]
  }, load)
  assert.deepEqual((out.properties as Record<string, unknown>).whole, fragment)
  assert.deepEqual((out.properties as Record<string, unknown>).one, { type: 'string' })
  assert.deepEqual((out.properties as Record<string, unknown>).local, { type: 'boolean' })
  assert.deepEqual((out.properties as Record<string, unknown>).dotted, { type: 'boolean' })
  assert.deepEqual(out.examples, [{ $schema: '/s/1.0.0' }])
})

void test('keys next to a $ref win over the referenced schema', async () => {
  const out = await dereference({ properties: { p: { $ref: '/fragment/x/1.0.0#/properties/b', description: 'mine', minimum: 0 } } }, load)
  assert.deepEqual((out.properties as Record<string, unknown>).p, { description: 'mine', minimum: 0, type: 'integer' })
})

void test('an unknown schema, a missing pointer and a loop are errors naming the ref and where it is', async () => {
  await assert.rejects(dereference({ properties: { p: { $ref: '/fragment/y/1.0.0#' } } }, load),
    (err: unknown) => err instanceof RefUnresolvedError && err.ref === '/fragment/y/1.0.0#' && err.pointer === '/properties/p')
  await assert.rejects(dereference({ p: { $ref: '/fragment/x/1.0.0#/properties/zzz' } }, load), RefUnresolvedError)
  await assert.rejects(dereference({ definitions: { a: { $ref: '#/definitions/b' }, b: { $ref: '#/definitions/a' } }, x: { $ref: '#/definitions/a' } }, load),
    /circular/)
  await assert.rejects(dereference({ p: { $ref: 'relative/path' } }, load), RefUnresolvedError)
})
