import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FromSchema } from '../../src/config/from-schema.js'
import { kafkaProducerSchema, validateConfig } from '../../src/config/load.js'
import { changepropConfigSchema } from '../../src/changeprop/config.js'
import type { ChangepropConfig } from '../../src/changeprop/config.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import type { GatewayConfig } from '../../src/gateway/config.js'

// Compile-time checks: tsc fails this file when a derived type loses precision.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
function expectType<T extends true> (_value?: T): void {}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string' },
    port: { type: 'integer', default: 1 },
    hint: { type: 'string' },
    level: { enum: ['info', 'warn'], default: 'info' },
    cors: { anyOf: [{ type: 'string' }, { const: false }], default: '*' },
    tags: { type: 'array', items: { type: 'string' }, default: [] },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    budget: { type: ['object', 'array'], if: { type: 'array' }, then: { items: { type: 'integer' } }, else: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', default: 0 } } } }
  }
} as const

test('a key with a default or required is present, any other optional; enums, anyOf and if/then/else become unions', () => {
  expectType<Equal<FromSchema<typeof schema>, {
    name: string
    port: number
    level: 'info' | 'warn'
    cors: string | false
    tags: string[]
    headers: Record<string, string>
    hint?: string
    budget?: number[] | { limit: number }
  }>>(true)
  const config = validateConfig({ name: 'x' }, schema, 'test')
  assert.deepEqual(config, { name: 'x', port: 1, level: 'info', cors: '*', tags: [], headers: {} })
})

test('the service config types are read off their schemas', () => {
  expectType<Equal<GatewayConfig['kafka']['linger_ms'], number>>(true)
  expectType<Equal<GatewayConfig['cors'], string | false>>(true)
  expectType<Equal<GatewayConfig['log_level'], 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>>(true)
  expectType<Equal<GatewayConfig['schema_git'], { repository: string, ref: string, path: string, poll_interval_ms: number, cache_dir: string } | undefined>>(true)
  expectType<Equal<ChangepropConfig['redis'], { url: string, key_prefix: string, connect_timeout_ms: number } | undefined>>(true)
  expectType<Equal<ChangepropConfig['kafka']['partitioner'], 'consistent_random' | 'murmur2_random'>>(true)
})

test('the producer defaults are one set, shared by the gateway and change propagation', () => {
  const gateway = validateConfig({}, gatewayConfigSchema, 'gateway').kafka
  const changeprop = validateConfig({}, changepropConfigSchema, 'changeprop').kafka
  for (const key of Object.keys(kafkaProducerSchema) as Array<keyof typeof kafkaProducerSchema>) {
    assert.equal(gateway[key], changeprop[key], key)
  }
  assert.equal(gateway.linger_ms, 0)
  assert.equal(gateway.produce_timeout_ms, 5000)
})
