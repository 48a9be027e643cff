import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { createMemoryLimiterStore, createRedisLimiterStore } from '../../src/changeprop/limiter.js'
import type { LimiterStore } from '../../src/changeprop/limiter.js'
import { createRedisClient } from '../../src/redis.js'
import { startRedis } from '../helpers/redis.js'

const types = new Map([
  ['blacklist', [{ intervalMs: 1000, limit: 3 }, { intervalMs: 100, limit: 2 }]],
  ['never', [{ intervalMs: 1000, limit: 0 }]]
])

async function exercise (store: LimiterStore, advance: (ms: number) => void): Promise<void> {
  assert.equal(await store.isLimited('blacklist', 'page-a'), false)
  await store.recordFailure('blacklist', 'page-a')
  assert.equal(await store.isLimited('blacklist', 'page-a'), false)
  await store.recordFailure('blacklist', 'page-a')
  assert.equal(await store.isLimited('blacklist', 'page-a'), true, 'two failures within 100 ms use up the short window')
  assert.equal(await store.isLimited('blacklist', 'page-b'), false, 'keys are independent')
  advance(150)
  assert.equal(await store.isLimited('blacklist', 'page-a'), false, 'the short window has passed')
  await store.recordFailure('blacklist', 'page-a')
  assert.equal(await store.isLimited('blacklist', 'page-a'), true, 'three failures within 1 s use up the long window')
  advance(1000)
  assert.equal(await store.isLimited('blacklist', 'page-a'), false)
  assert.equal(await store.isLimited('never', 'anything'), true, 'limit 0 means no budget at all')
  assert.equal(await store.isLimited('undeclared', 'x'), false)
}

test('memory: failures within a window use up the budget of the key', async () => {
  let time = 10000
  await exercise(createMemoryLimiterStore({ types, now: () => time }), (ms) => { time += ms })
})

test('redis: the same budget, shared through Redis', async (t) => {
  const server = await startRedis()
  t.after(async () => { await server.stop() })
  const client = await createRedisClient({ url: server.url, connectTimeoutMs: 2000, logger: pino({ level: 'silent' }) })
  t.after(() => { client.disconnect() })
  await client.connect()
  let time = 10000
  await exercise(createRedisLimiterStore({ redis: client, keyPrefix: 'test', types, now: () => time }), (ms) => { time += ms })
  // The key expires with the longest window: not never (-1), and not already gone (-2).
  const ttl = await client.pttl('test:limit:blacklist:page-a')
  assert.ok(ttl > 0 && ttl <= 1000, `pttl ${ttl}`)
})
