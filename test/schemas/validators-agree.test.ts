import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkRobustness } from '../../src/schemas/checks/robustness.js'
import { createSchemaResolver } from '../../src/schemas/lookup/validator-cache.js'
import { createMemorySource, silentLogger } from './lookup/support.js'

const subject = { schema: '/t/1.0.0', title: 't', version: '1.0.0', file: 't/1.0.0.yaml' }

/** A published schema with one example, as CI checks it and the gateway serves it. */
function schemaWith (property: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 't',
    $id: '/t/1.0.0',
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { value: property },
    ...extra
  }
}

/** Whether `sluice schemas check` lets the example through. */
function ciAccepts (schema: Record<string, unknown>, example: unknown): boolean {
  const violations = checkRobustness({ ...schema, examples: [example] }, subject, { numericBounds: undefined })
  return !violations.some((v) => v.rule === 'schema-examples-are-valid' || v.rule === 'schema-is-valid')
}

/** Whether the gateway accepts the same document as an event. */
async function gatewayAccepts (schema: Record<string, unknown>, example: unknown): Promise<boolean> {
  const resolver = createSchemaResolver({
    sources: [createMemorySource({ 't/1.0.0': JSON.stringify(schema) })],
    allowAbsoluteUris: false,
    failureRetryMs: 0,
    maxSchemaBytes: 1 << 20,
    logger: silentLogger()
  })
  try {
    const resolved = await resolver.resolve('/t/1.0.0')
    return resolved.validate(structuredClone(example))
  } catch {
    return false
  }
}

void test('CI and the gateway judge every example the same way', async () => {
  const cases: Array<[string, Record<string, unknown>, unknown]> = [
    ['a date-time on a day the month does not have', schemaWith({ type: 'string', format: 'date-time', maxLength: 64 }), { value: '2021-02-30T00:00:00Z' }],
    ['a schema with a keyword Ajv does not know', schemaWith({ type: 'string', maxLength: 64 }, { 'x-owner': 'team' }), { value: 'abc' }]
  ]
  const disagreements: string[] = []
  for (const [name, schema, example] of cases) {
    const ci = ciAccepts(schema, example)
    const gateway = await gatewayAccepts(schema, example)
    if (ci !== gateway) disagreements.push(`${name}: CI ${ci ? 'accepts' : 'rejects'}, the gateway ${gateway ? 'accepts' : 'rejects'}`)
  }
  assert.deepEqual(disagreements, [])
})
