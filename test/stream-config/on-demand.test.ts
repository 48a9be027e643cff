import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createOnDemandStreams } from '../../src/stream-config/on-demand.js'
import type { StreamConfigData } from '../../src/stream-config/index.js'

// The fetching policy alone, over a fetch function that records what it is asked.

function source (known: StreamConfigData): { asked: string[][], fetch: (names: readonly string[]) => Promise<StreamConfigData>, failing: boolean } {
  const state = {
    asked: [] as string[][],
    failing: false,
    async fetch (names: readonly string[]): Promise<StreamConfigData> {
      state.asked.push([...names])
      await new Promise((resolve) => setImmediate(resolve))
      if (state.failing) throw new Error('HTTP 503')
      return Object.fromEntries(names.filter((n) => Object.hasOwn(known, n)).map((n) => [n, known[n]]))
    }
  }
  return state
}

test('a name the source did not know is not asked for again until unknownTtlMs has passed', async () => {
  let now = 1000
  const src = source({ known: { schema_title: 't' } })
  const onDemand = createOnDemandStreams({ fetch: src.fetch, unknownTtlMs: 60_000, maxUnknown: 100, maxNamesPerFetch: 50, now: () => now })
  assert.deepEqual(await onDemand.fetch(['known', 'nope']), { known: { schema_title: 't' } })
  assert.deepEqual(await onDemand.fetch(['nope']), {})
  now += 59_999
  assert.deepEqual(await onDemand.fetch(['nope']), {})
  assert.deepEqual(src.asked, [['known', 'nope']])
  now += 2
  await onDemand.fetch(['nope'])
  assert.deepEqual(src.asked, [['known', 'nope'], ['nope']])
})

test('a fetch that fails is reported and remembers nothing; names being fetched share that fetch', async () => {
  const src = source({ a: { schema_title: 't' } })
  const onDemand = createOnDemandStreams({ fetch: src.fetch, unknownTtlMs: 60_000, maxUnknown: 100, maxNamesPerFetch: 50, now: () => 0 })
  src.failing = true
  await assert.rejects(onDemand.fetch(['a', 'b']), /HTTP 503/)
  src.failing = false
  const [first, second] = await Promise.all([onDemand.fetch(['a', 'b']), onDemand.fetch(['b', 'a'])])
  assert.deepEqual(first, { a: { schema_title: 't' } })
  assert.deepEqual(second, { a: { schema_title: 't' } })
  assert.deepEqual(src.asked, [['a', 'b'], ['a', 'b']], 'the second caller waited for the first fetch')
})

test('the source is protected: one fetch at a time, maxNamesPerFetch names each, maxUnknown names remembered', async () => {
  const src = source({})
  let inFlight = 0
  let most = 0
  const fetch = async (names: readonly string[]): Promise<StreamConfigData> => {
    most = Math.max(most, ++inFlight)
    try { return await src.fetch(names) } finally { inFlight-- }
  }
  const onDemand = createOnDemandStreams({ fetch, unknownTtlMs: 60_000, maxUnknown: 3, maxNamesPerFetch: 2, now: () => 0 })
  await Promise.all([onDemand.fetch(['a', 'b', 'c']), onDemand.fetch(['d', 'e']), onDemand.fetch(['f'])])
  assert.equal(most, 1)
  assert.deepEqual(src.asked, [['a', 'b'], ['d', 'e'], ['f']], 'c was left unknown, never asked')
  // Only the last three unknown names are remembered: a and b are asked for again.
  src.asked.length = 0
  await onDemand.fetch(['a', 'e', 'f'])
  assert.deepEqual(src.asked, [['a']])
})
