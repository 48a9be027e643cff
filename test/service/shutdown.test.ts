import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeInOrder } from '../../src/service/shutdown.js'
import { testLogger } from '../helpers/logger.js'

test('closeInOrder runs every step in order within one deadline, past a hanging step and a failing one, and names what it abandoned', async () => {
  const keepAlive = setInterval(() => {}, 1000)
  const lines: string[] = []
  const order: string[] = []
  const started = Date.now()
  try {
    const abandoned = await closeInOrder([
      { name: 'hangs', close: async () => { order.push('hangs'); await new Promise(() => {}) } },
      { name: 'fails', close: async () => { order.push('fails'); throw new Error('broken') } },
      { name: 'closes', close: async (deadline) => { order.push(`closes with ${deadline - Date.now() <= 0 ? 'no' : 'some'} time left`) } }
    ], Date.now() + 200, testLogger(lines))
    assert.deepEqual(abandoned, ['hangs'])
  } finally {
    clearInterval(keepAlive)
  }
  const tookMs = Date.now() - started
  assert.ok(tookMs >= 190 && tookMs < 600, `took ${tookMs} ms`)
  assert.deepEqual(order, ['hangs', 'fails', 'closes with no time left'])
  const logged = lines.map((line) => JSON.parse(line) as { resource: string, msg: string })
  assert.deepEqual(logged.map((l) => [l.resource, l.msg]), [['hangs', 'shutdown: closing abandoned'], ['fails', 'shutdown: closing failed']])
})
