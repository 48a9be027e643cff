import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deadlineIn, outcomeBefore, pause, settlesBefore, sleep, valueBefore, withDeadline } from '../src/deadline.js'

test('settlesBefore says whether the work settled by the deadline; a rejection counts as settled', async () => {
  assert.equal(await settlesBefore(Promise.resolve(), Date.now() + 1000), true)
  assert.equal(await settlesBefore(Promise.reject(new Error('x')), Date.now() + 1000), true)
  const keepAlive = setInterval(() => {}, 1000)
  try {
    assert.equal(await settlesBefore(new Promise(() => {}), Date.now() + 50), false)
  } finally {
    clearInterval(keepAlive)
  }
})

test('outcomeBefore tells a value, a failure and a deadline apart, and observes a late failure', async () => {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    assert.deepEqual(await outcomeBefore(Promise.resolve(7), deadlineIn(1000)), { status: 'fulfilled', value: 7 })
    const err = new Error('x')
    assert.deepEqual(await outcomeBefore(Promise.reject(err), deadlineIn(1000)), { status: 'rejected', reason: err })
    let fail: (err: Error) => void = () => {}
    const late = new Promise<never>((_resolve, reject) => { fail = reject })
    assert.deepEqual(await outcomeBefore(late, deadlineIn(30)), { status: 'timeout' })
    // Rejected after the deadline: caught here, so no unhandled rejection ends the test run.
    fail(new Error('late'))
    await pause(10)
  } finally {
    clearInterval(keepAlive)
  }
})

test('a deadline already past still takes work that has settled', async () => {
  assert.equal(await settlesBefore(Promise.resolve(), Date.now() - 1000), true)
  assert.deepEqual(await valueBefore(Promise.resolve('v'), Date.now() - 1000), { value: 'v' })
})

test('valueBefore: the value in time, undefined at the deadline, the failure when it fails in time', async () => {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    assert.deepEqual(await valueBefore(Promise.resolve(1), deadlineIn(1000)), { value: 1 })
    assert.equal(await valueBefore(new Promise(() => {}), deadlineIn(30)), undefined)
    await assert.rejects(valueBefore(Promise.reject(new Error('refused')), deadlineIn(1000)), /refused/)
  } finally {
    clearInterval(keepAlive)
  }
})

test('withDeadline rejects with the caller\'s error at the deadline, and with the work\'s own before it', async () => {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    assert.equal(await withDeadline(Promise.resolve('ok'), deadlineIn(1000), () => new Error('late')), 'ok')
    const started = Date.now()
    await assert.rejects(withDeadline(new Promise(() => {}), deadlineIn(50), () => new Error('no answer within 50 ms')), /no answer within 50 ms/)
    assert.ok(Date.now() - started >= 45, `took ${Date.now() - started} ms`)
    await assert.rejects(withDeadline(Promise.reject(new Error('refused')), deadlineIn(1000), () => new Error('late')), /refused/)
  } finally {
    clearInterval(keepAlive)
  }
})

test('pause waits its time, and ends at once when its signal aborts', async () => {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    let started = Date.now()
    await pause(40)
    assert.ok(Date.now() - started >= 35, `paused ${Date.now() - started} ms`)
    const abort = new AbortController()
    started = Date.now()
    const paused = pause(10_000, { signal: abort.signal })
    abort.abort()
    await paused
    assert.ok(Date.now() - started < 1000, `paused ${Date.now() - started} ms after the abort`)
    await pause(10_000, { signal: abort.signal })
    assert.ok(Date.now() - started < 1000, 'an aborted signal does not pause at all')
  } finally {
    clearInterval(keepAlive)
  }
})

test('a bounded wait, and a pause asked to, do not hold the process up on their own', async () => {
  // A child process whose only pending work is a wait with a deadline an hour away exits at once.
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const root = fileURLToPath(new URL('..', import.meta.url))
  const script = "const { settlesBefore, pause } = await import('./src/deadline.ts'); void settlesBefore(new Promise(() => {}), Date.now() + 3600000); void pause(3600000, { unref: true })"
  const started = Date.now()
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 }, (err) => { if (err === null) resolve(); else reject(err) })
  })
  assert.ok(Date.now() - started < 30_000)
})

test('sleep waits its time, and rejects with the signal\'s reason as soon as it aborts', async () => {
  const abort = new AbortController()
  const started = Date.now()
  await sleep(30, abort.signal)
  assert.ok(Date.now() - started >= 25, `slept ${Date.now() - started} ms`)
  const reason = new Error('shutting down')
  const sleeping = sleep(10_000, abort.signal)
  abort.abort(reason)
  await assert.rejects(sleeping, (err) => err === reason)
  assert.ok(Date.now() - started < 5000, `slept ${Date.now() - started} ms past the abort`)
  await assert.rejects(sleep(10, abort.signal), (err) => err === reason)
})
