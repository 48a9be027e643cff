import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { Registry } from 'prom-client'
import { changepropConfigSchema } from '../../src/changeprop/config.js'
import { changepropErrorCodes } from '../../src/changeprop/errors.js'
import { createChangepropMetrics } from '../../src/metrics/changeprop.js'

const docs = await readFile(new URL('../../docs/changeprop.md', import.meta.url), 'utf8')

function section (title: string): string {
  const start = docs.indexOf(`## ${title}`)
  assert.ok(start >= 0, `docs/changeprop.md has a '${title}' section`)
  const end = docs.indexOf('\n## ', start + 1)
  return docs.slice(start, end < 0 ? undefined : end)
}

function tableKeys (text: string): string[] {
  return [...text.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1] as string).sort()
}

test('every configuration key is in the configuration table, and nothing else is', () => {
  const keys: string[] = []
  for (const [key, schema] of Object.entries(changepropConfigSchema.properties)) {
    const nested = (schema as { properties?: Record<string, unknown> }).properties
    if (nested !== undefined && key !== 'retry_on' && key !== 'ignore' && key !== 'sample') keys.push(...Object.keys(nested).map((k) => `${key}.${k}`))
    else keys.push(key)
  }
  assert.deepEqual(tableKeys(section('Configuration')), keys.sort())
})

test('every error code is in the error code table with an HTTP status', () => {
  const table = section('Error codes')
  for (const code of changepropErrorCodes) assert.match(table, new RegExp(`^\\| \`${code}\` \\| \\d{3} \\|`, 'm'), code)
})

test('every metric is in the metrics table', async () => {
  const registry = new Registry()
  createChangepropMetrics(registry)
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort()
  const table = section('Operations: metrics, health, logs')
  const documented = [...table.matchAll(/^\| `(sluice_[a-z_]+)` \|/gm)].map((m) => m[1]).sort()
  assert.deepEqual(documented, names)
})
