import assert from 'node:assert/strict'
import test from 'node:test'
import pino from 'pino'
import { createBackgroundTasks } from '../../src/gateway/background.js'

function gate (): { wait: Promise<void>, open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => { open = resolve })
  return { wait, open }
}

test('runWithin starts tasks while their weight fits, then first come first started as room frees', async () => {
  const waiting: number[] = []
  const tasks = createBackgroundTasks(pino({ level: 'silent' }), { maxWeight: 3, onWaitingChange: (n) => waiting.push(n) })
  const first = gate()
  const started: string[] = []
  const task = (name: string, until: Promise<void>) => async () => { started.push(name); await until }

  await tasks.runWithin('a', task('a', first.wait), 2)
  let bStarted = false
  const b = tasks.runWithin('b', task('b', Promise.resolve()), 2).then(() => { bStarted = true })
  let cStarted = false
  const c = tasks.runWithin('c', task('c', Promise.resolve()), 1).then(() => { cStarted = true })
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(started, ['a'], 'b does not fit beside a; c (which would fit) does not overtake b')
  assert.equal(bStarted || cStarted, false)
  assert.deepEqual(waiting, [1, 2])

  first.open()
  await Promise.all([b, c])
  assert.deepEqual(started, ['a', 'b', 'c'])
  assert.equal(waiting.at(-1), 0)
  await tasks.drain()
  assert.equal(tasks.size, 0)
})

test('a task heavier than the limit still starts when nothing else is pending', async () => {
  const tasks = createBackgroundTasks(pino({ level: 'silent' }), { maxWeight: 2 })
  let ran = false
  await tasks.runWithin('big', async () => { ran = true }, 10)
  await tasks.drain()
  assert.equal(ran, true)
})
