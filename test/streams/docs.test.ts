import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { Registry } from 'prom-client'
import { createStreamsMetrics } from '../../src/metrics/streams.js'
import { streamsConfigSchema } from '../../src/streams/config.js'

const docs = await readFile(new URL('../../docs/streams.md', import.meta.url), 'utf8')

function section (title: string): string {
  const start = docs.indexOf(`## ${title}`)
  assert.ok(start >= 0, `docs/streams.md has a '${title}' section`)
  const end = docs.indexOf('\n## ', start + 1)
  return docs.slice(start, end < 0 ? undefined : end)
}

function tableKeys (text: string): string[] {
  return [...text.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1] as string).sort()
}

test('every configuration key is in the configuration table with its default, and nothing else is', () => {
  const rows = new Map([...section('Configuration').matchAll(/^\| `([a-z_.]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]))
  const expected: string[] = []
  for (const [key, schema] of Object.entries(streamsConfigSchema.properties)) {
    const nested = (schema as { properties?: Record<string, { default?: unknown }> }).properties
    if (key === 'redis' || key === 'kafka') {
      for (const [child, childSchema] of Object.entries(nested!)) {
        expected.push(`${key}.${child}`)
        if (childSchema.default !== undefined && typeof childSchema.default !== 'object') assert.equal(rows.get(`${key}.${child}`)?.replace(/`/g, ''), String(childSchema.default), `${key}.${child}`)
      }
    } else {
      expected.push(key)
      const fallback = (schema as { default?: unknown }).default
      if (fallback !== undefined && typeof fallback !== 'object') assert.equal(rows.get(key)?.replace(/`/g, ''), String(fallback), key)
    }
  }
  assert.deepEqual([...rows.keys()].sort(), expected.sort())
})

test('every metric is in the metrics table, and nothing else is', async () => {
  const registry = new Registry()
  createStreamsMetrics(registry)
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort()
  assert.deepEqual(tableKeys(section('Metrics')), names)
})
