import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errorCodes } from '../src/error-codes.js'
import { gatewayConfigSchema } from '../src/gateway/config.js'
import { kafkaSecuritySchema } from '../src/kafka/index.js'

const root = fileURLToPath(new URL('..', import.meta.url))

async function filesUnder (dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name))
}

async function documentation (): Promise<string> {
  const docs = await filesUnder(join(root, 'docs'), '.md').catch(() => [])
  const texts = await Promise.all([join(root, 'README.md'), ...docs].map(async (f) => readFile(f, 'utf8')))
  return texts.join('\n')
}

test('every error code is in the closed list, documented in README.md or docs/, and raised somewhere', async () => {
  const sources = (await filesUnder(join(root, 'src'), '.ts')).filter((file) => !file.endsWith(join('src', 'error-codes.ts')))
  const used = new Set<string>()
  for (const file of sources) {
    for (const match of (await readFile(file, 'utf8')).matchAll(/['"`](SLUICE_ERR_[A-Z0-9_]+)['"`]/g)) used.add(match[1]!)
  }
  const listed = new Set<string>(errorCodes)
  assert.equal(listed.size, errorCodes.length, 'no code is listed twice')
  assert.deepEqual([...used].filter((code) => !listed.has(code)).sort(), [], 'codes raised but not in src/error-codes.ts')
  assert.deepEqual([...listed].filter((code) => !used.has(code)).sort(), [], 'codes listed but never raised')
  const docs = await documentation()
  const missing = errorCodes.filter((code) => !docs.includes(`\`${code}\``)).sort()
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`)
})

test('every gateway config key is in the README configuration table, and nothing else is', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const start = readme.indexOf('## Configuration')
  const section = readme.slice(start, readme.indexOf('\n## ', start))
  const documented = new Set([...section.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]))
  const keys = Object.keys(gatewayConfigSchema.properties).filter((k) => k !== 'kafka' && k !== 'redis')
  keys.push(...Object.keys(gatewayConfigSchema.properties.kafka.properties).map((k) => `kafka.${k}`))
  keys.push(...Object.keys(gatewayConfigSchema.properties.redis.properties).map((k) => `redis.${k}`))
  assert.deepEqual([...documented].sort(), keys.sort())
})

test('every key of kafka.ssl and kafka.sasl is in the README\'s secured-cluster table', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const start = readme.indexOf('## Connecting to a secured cluster')
  assert.ok(start > 0, 'README.md has a "Connecting to a secured cluster" section')
  const section = readme.slice(start, readme.indexOf('\n## ', start))
  const documented = new Set([...section.matchAll(/^\| (`[a-z_.]+`(?:, `[a-z_.]+`)*) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z_.]+)`/g)].map((k) => k[1])))
  const keys = (['ssl', 'sasl'] as const).flatMap((group) => Object.keys(kafkaSecuritySchema[group].properties).map((k) => `kafka.${group}.${k}`))
  assert.deepEqual([...documented].sort(), keys.sort())
})
