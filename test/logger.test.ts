import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger } from '../src/logger.js'

function capture (maxStringLength?: number): { lines: string[], logger: ReturnType<typeof createLogger> } {
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  return { lines, logger: createLogger({ level: 'debug', name: 'test', maxStringLength }, sink) }
}

const huge = '/'.concat('s'.repeat(5 * 1024 * 1024))

test('a 5 MB string from a request stays out of the log line: message, merging object, error and bindings', () => {
  const { lines, logger } = capture(256)
  const child = logger.child({ request_id: huge })
  child.warn({ event: { $schema: huge, meta: { stream: huge } } }, `event of schema at ${huge} encountered an error`)
  child.error({ err: new Error(`Failed loading schema at ${huge}`) }, 'schema failed')
  logger.info('%s was requested', huge)
  assert.equal(lines.length, 3)
  for (const line of lines) assert.ok(line.length < 10_000, `a log line of ${line.length} characters`)
  const first = JSON.parse(lines[0]!) as { event: { $schema: string }, msg: string }
  assert.match(first.event.$schema, /^\/s{255}…\[\d+ more characters\]$/)
  assert.match(first.msg, /more characters\]$/)
  assert.match((JSON.parse(lines[1]!) as { err: { message: string, type: string } }).err.type, /^Error$/)
})

test('without a limit lines are written whole (loggers that log no request data)', () => {
  const { lines, logger } = capture()
  logger.info({ value: 'v'.repeat(10_000) }, 'plain')
  assert.ok(lines[0]!.length > 10_000)
})
