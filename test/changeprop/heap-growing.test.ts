import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { changepropConfigSchema } from '../../src/changeprop/config.js'

// heap_growing_percent bounds how far V8 lets the heap grow between full collections (the flag is
// the whole process's, so each setting runs in a process of its own). The helper runs with V8's
// --predictable: left to its background threads, Node 24's V8 sometimes sizes its young generation
// so that this workload's garbage never reaches the old one (one run in five, either setting), and
// the comparison would measure that race instead of the setting.

async function largestHeap (percent: number): Promise<number> {
  const helper = fileURLToPath(new URL('./helpers/heap-churn.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, ['--predictable', '--import', 'tsx', helper, String(percent)])
  return (JSON.parse(stdout) as { largest: number }).largest
}

test('heap_growing_percent: the default keeps the heap well under what V8 grows it to on its own (0)', async () => {
  assert.equal(changepropConfigSchema.properties.heap_growing_percent.default, 25)
  const own = await largestHeap(0)
  const bounded = await largestHeap(25)
  assert.ok(bounded < own * 0.8, `largest heap ${(bounded / 1048576).toFixed(0)} MB with 25, ${(own / 1048576).toFixed(0)} MB with V8's own choice`)
})
