import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { createMemoryDedupeStore, createRedisDedupeStore } from '../../src/changeprop/dedupe.js'
import { StateStoreError } from '../../src/changeprop/errors.js'
import { createRedisClient } from '../../src/redis.js'
import { startRedis } from '../helpers/redis.js'

const logger = pino({ level: 'silent' })

test('memory: a recorded key is seen until the window ends', async () => {
  let time = 1000
  const store = createMemoryDedupeStore({ windowMs: 100, maxEntries: 10, now: () => time })
  assert.equal(await store.seen('rule', ['a']), false)
  await store.record('rule', ['a', 'b'])
  assert.equal(await store.seen('rule', ['a']), true)
  assert.equal(await store.seen('rule', ['x', 'b']), true, 'any of the keys counts')
  assert.equal(await store.seen('other-rule', ['a']), false, 'namespaces are separate')
  time += 99
  assert.equal(await store.seen('rule', ['a']), true)
  time += 1
  assert.equal(await store.seen('rule', ['a']), false)
})

test('memory: the oldest keys are forgotten beyond max_entries', async () => {
  const store = createMemoryDedupeStore({ windowMs: 1000, maxEntries: 2, now: () => 0 })
  await store.record('r', ['a'])
  await store.record('r', ['b'])
  await store.record('r', ['c'])
  assert.equal(await store.seen('r', ['a']), false)
  assert.equal(await store.seen('r', ['b']), true)
  assert.equal(await store.seen('r', ['c']), true)
})

test('memory: window 0 remembers nothing', async () => {
  const store = createMemoryDedupeStore({ windowMs: 0, maxEntries: 2 })
  await store.record('r', ['a'])
  assert.equal(await store.seen('r', ['a']), false)
})

test('redis: keys are shared between stores and expire after the window', async (t) => {
  const server = await startRedis()
  t.after(async () => { await server.stop() })
  const first = await createRedisClient({ url: server.url, connectTimeoutMs: 2000, logger })
  const second = await createRedisClient({ url: server.url, connectTimeoutMs: 2000, logger })
  t.after(() => { first.disconnect(); second.disconnect() })
  await Promise.all([first.connect(), second.connect()])
  const a = createRedisDedupeStore({ redis: first, keyPrefix: 'test', windowMs: 300 })
  const b = createRedisDedupeStore({ redis: second, keyPrefix: 'test', windowMs: 300 })
  assert.equal(await b.seen('rule', ['id-1']), false)
  await a.record('rule', ['id-1', 'key:x'])
  assert.equal(await b.seen('rule', ['id-1']), true)
  assert.equal(await b.seen('rule', ['key:x']), true)
  assert.equal(await b.seen('rule2', ['id-1']), false)
  assert.ok(await first.pttl('test:dedupe:rule:id-1') <= 300)
  const deadline = Date.now() + 5000
  while (await b.seen('rule', ['id-1'])) {
    assert.ok(Date.now() < deadline, 'the key never expired')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})

test('redis: a failing server raises StateStoreError (the runner then lets events through)', async (t) => {
  const server = await startRedis()
  const client = await createRedisClient({ url: server.url, connectTimeoutMs: 500, logger })
  t.after(() => { client.disconnect() })
  await client.connect()
  await server.stop()
  const store = createRedisDedupeStore({ redis: client, keyPrefix: 'test', windowMs: 1000 })
  await assert.rejects(store.seen('rule', ['a']), StateStoreError)
  await assert.rejects(store.record('rule', ['a']), StateStoreError)
})
