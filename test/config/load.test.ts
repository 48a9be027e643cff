import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commonEnvOverrides, loadConfig, validateConfig } from '../../src/config/load.js'

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', default: 8192 },
    retry_limit: { type: 'integer', minimum: 0, default: 2 },
    kafka: { type: 'object', additionalProperties: false, default: {}, properties: { brokers: { type: 'array', items: { type: 'string' }, default: [] } } }
  }
} as const

test('defaults come from the schema and the result is frozen', () => {
  const config = validateConfig({}, schema, 'test')
  assert.equal(config.port, 8192)
  assert.deepEqual(config.kafka.brokers, [])
  assert.equal(Object.isFrozen(config), true)
  assert.equal(Object.isFrozen(config.kafka.brokers), true)
})

test('0 means zero, never the default', () => {
  assert.equal(validateConfig({ retry_limit: 0 }, schema, 'test').retry_limit, 0)
})

test('PORT and KAFKA_BROKERS override the file', () => {
  const config = validateConfig({ port: 1 }, schema, 'test', { PORT: '9000', KAFKA_BROKERS: 'a:1, b:2' }, commonEnvOverrides)
  assert.equal(config.port, 9000)
  assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2'])
})

test('a bad PORT names the variable', () => {
  assert.throws(() => validateConfig({}, schema, 'test', { PORT: 'eighty' }, commonEnvOverrides), /PORT: 'eighty' is not a valid port/)
})

test('unknown keys and wrong types are reported together, each naming its key', () => {
  assert.throws(() => validateConfig({ prot: 1, kafka: { brokers: 'x' } }, schema, 'test'), (err: Error & { code?: string }) =>
    err.code === 'SLUICE_ERR_CONFIG_INVALID' && /prot: unknown key/.test(err.message) && /kafka\.brokers: must be array/.test(err.message))
})

test('a YAML file is read; bad YAML and missing files are clear errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(join(dir, 'ok.yaml'), 'port: 1234\n')
  await writeFile(join(dir, 'bad.yaml'), 'port: [\n')
  assert.equal((await loadConfig({ file: join(dir, 'ok.yaml'), schema })).port, 1234)
  await assert.rejects(loadConfig({ file: join(dir, 'bad.yaml'), schema }), /not valid YAML/)
  await assert.rejects(loadConfig({ file: join(dir, 'missing.yaml'), schema }), /cannot read the file/)
})
