import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createIntakeDedupe, createMemoryDedupeStore } from '../../../src/gateway/pipeline/dedupe.js'
import type { DedupeStore } from '../../../src/gateway/pipeline/dedupe.js'

function counting (): { produce: () => Promise<void>, count: () => number, release: () => void, fail: (err: Error) => void } {
  let count = 0
  let gate: { resolve: () => void, reject: (err: Error) => void } | undefined
  return {
    produce: async () => {
      count++
      await new Promise<void>((resolve, reject) => { gate = { resolve, reject } })
    },
    count: () => count,
    release: () => { gate?.resolve() },
    fail: (err) => { gate?.reject(err) }
  }
}

test('concurrent events with one id produce once; the others wait and are duplicates once it succeeded', async () => {
  const dedupe = createIntakeDedupe({ store: createMemoryDedupeStore(100), pendingMs: 1000, onStoreError: () => assert.fail() })
  const p = counting()
  const outcomes = Array.from({ length: 5 }, async () => dedupe.once('s:1', 60_000, p.produce))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(p.count(), 1)
  p.release()
  assert.deepEqual((await Promise.all(outcomes)).sort(), ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'produced'])
  assert.equal(await dedupe.once('s:1', 60_000, async () => assert.fail('a retry later is a duplicate')), 'duplicate')
})

test('a failed produce frees the id: a waiting copy produces, and a later retry is not refused', async () => {
  const dedupe = createIntakeDedupe({ store: createMemoryDedupeStore(100), pendingMs: 1000, onStoreError: () => assert.fail() })
  const p = counting()
  const first = dedupe.once('s:2', 60_000, p.produce)
  const second = dedupe.once('s:2', 60_000, async () => {})
  await new Promise((resolve) => setImmediate(resolve))
  p.fail(new Error('broker said no'))
  await assert.rejects(first, /broker said no/)
  assert.equal(await second, 'produced')
  assert.equal(await dedupe.once('s:2', 60_000, async () => {}), 'duplicate')
})

test('the window expires; the memory store keeps at most max keys, oldest out first', async () => {
  let now = 0
  const store = createMemoryDedupeStore(2, () => now)
  const dedupe = createIntakeDedupe({ store, pendingMs: 1000, onStoreError: () => assert.fail() })
  assert.equal(await dedupe.once('a', 100, async () => {}), 'produced')
  now = 50
  assert.equal(await dedupe.once('a', 100, async () => {}), 'duplicate')
  now = 101
  assert.equal(await dedupe.once('a', 100, async () => {}), 'produced', 'past the window')
  await dedupe.once('b', 1000, async () => {})
  await dedupe.once('c', 1000, async () => {})
  assert.equal(await dedupe.once('a', 1000, async () => {}), 'produced', 'a was evicted by b and c')
})

test('a store that fails lets the event through and counts it (intake fails open)', async () => {
  let errors = 0
  const broken: DedupeStore = {
    claim: async () => { throw new Error('redis down') },
    accept: async () => { throw new Error('redis down') },
    release: async () => {},
    close: async () => {}
  }
  const dedupe = createIntakeDedupe({ store: broken, pendingMs: 1000, onStoreError: () => { errors++ } })
  let produced = 0
  assert.equal(await dedupe.once('x', 1000, async () => { produced++ }), 'produced')
  assert.equal(await dedupe.once('x', 1000, async () => { produced++ }), 'produced')
  assert.equal(produced, 2)
  assert.equal(errors, 4)
})

test('a claim held elsewhere (another replica) is waited for, bounded by pendingMs', async () => {
  const store = createMemoryDedupeStore(100)
  assert.equal(await store.claim('k', 10_000), 'claimed')
  const dedupe = createIntakeDedupe({ store, pendingMs: 300, pollMs: 10, onStoreError: () => assert.fail() })
  const waiting = dedupe.once('k', 1000, async () => {})
  setTimeout(() => { void store.accept('k', 1000) }, 50)
  assert.equal(await waiting, 'duplicate')
  assert.equal(await store.claim('j', 10_000), 'claimed')
  const started = Date.now()
  assert.equal(await dedupe.once('j', 1000, async () => {}), 'produced', 'a holder that never finishes is overtaken after pendingMs')
  assert.ok(Date.now() - started >= 290)
})
