/**
 * `sluice schemas check` (CI) and the gateway must judge a document the same
 * way: both compile schemas through the one Ajv factory in document/ajv.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkRobustness } from '../../src/schemas/checks/robustness.js'
import { createSchemaResolver } from '../../src/schemas/lookup/validator-cache.js'
import { createMemorySource, silentLogger } from './lookup/support.js'

const packageDir = fileURLToPath(new URL('../../src/schemas/', import.meta.url))
const subject = { schema: '/t/1.0.0', title: 't', version: '1.0.0', file: 't/1.0.0.yaml' }

async function sourcesOf (): Promise<Map<string, string>> {
  const entries = await readdir(packageDir, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name))
  return new Map(await Promise.all(files.map(async (f) => [relative(packageDir, f), await readFile(f, 'utf8')] as const)))
}

void test('only document/ajv.ts creates Ajv instances for schemas, and both the check and the lookup take theirs from it', async () => {
  const sources = await sourcesOf()
  // A value import (not `import type`) of Ajv, its draft classes or its format plugin.
  const ajvValueImport = /^import (?!type )[^\n]* from 'ajv(?:[/'-])/m
  const creating = [...sources].filter(([, text]) => ajvValueImport.test(text)).map(([file]) => file).sort()
  // repository/config.ts validates the repository's config file, not schemas or events.
  assert.deepEqual(creating, ['document/ajv.ts', 'repository/config.ts'])
  for (const user of ['checks/robustness.ts', 'lookup/compiler.ts']) {
    assert.match(sources.get(user) ?? '', /import \{[^}]*\bcreateAjvSet\b[^}]*\} from '\.\.\/document\/ajv\.js'/, user)
  }
})

function schemaWith (property: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: 't', $id: '/t/1.0.0', $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', properties: { value: property }, ...extra }
}

function checkAccepts (schema: Record<string, unknown>, example: unknown): boolean {
  const violations = checkRobustness({ ...schema, examples: [example] }, subject, { numericBounds: undefined })
  return !violations.some((v) => v.rule === 'schema-examples-are-valid' || v.rule === 'schema-is-valid')
}

async function gatewayAccepts (schema: Record<string, unknown>, example: unknown): Promise<boolean> {
  const resolver = createSchemaResolver({
    sources: [createMemorySource({ 't/1.0.0': JSON.stringify(schema) })],
    allowAbsoluteUris: false,
    failureRetryMs: 0,
    maxSchemaBytes: 1 << 20,
    logger: silentLogger()
  })
  try {
    return (await resolver.resolve('/t/1.0.0')).validate(structuredClone(example))
  } catch {
    return false
  }
}

void test('documents the two paths once judged differently are judged the same by both', async () => {
  const dateTime = schemaWith({ type: 'string', format: 'date-time', maxLength: 64 })
  const uriReference = schemaWith({ type: 'string', format: 'uri-reference', maxLength: 8192 })
  const cases: Array<[string, Record<string, unknown>, unknown, boolean]> = [
    // Fast formats check the shape of a date-time, not the calendar (as EventGate did).
    ['a date-time on a day the month does not have', dateTime, { value: '2021-02-30T00:00:00Z' }, true],
    ['a date-time that is not one', dateTime, { value: 'yesterday' }, false],
    ['a uri-reference with unencoded non-ASCII, as browsers send it', uriReference, { value: '/wiki/Zürich' }, true],
    // Strict mode: a keyword Ajv does not know makes the schema unusable.
    ['a schema with a keyword Ajv does not know', schemaWith({ type: 'string', maxLength: 64 }, { 'x-owner': 'team' }), { value: 'abc' }, false],
    ['a string that keeps an integer bound', schemaWith({ type: 'string', minimum: 0 }), { value: 'abc' }, false]
  ]
  for (const [name, schema, example, expected] of cases) {
    assert.deepEqual({ check: checkAccepts(schema, example), gateway: await gatewayAccepts(schema, example) }, { check: expected, gateway: expected }, name)
  }
})
