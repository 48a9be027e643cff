import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import test from 'node:test'
import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import { lazyRequestLogger } from '../../src/service/request-logger.js'

function capture (): { logger: FastifyBaseLogger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    }
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

test('a request logger makes its child only when a line is logged, and the line carries the bindings', (t) => {
  const { logger, lines } = capture()
  const child = t.mock.method(logger, 'child')
  const quiet = lazyRequestLogger(logger, { request_id: 'a' }, {})
  assert.equal(quiet.level, 'info')
  assert.equal(child.mock.callCount(), 0, 'no child for a request that logs nothing')

  const loud = lazyRequestLogger(logger, { request_id: 'b' }, {})
  loud.warn({ code: 'X' }, 'first')
  loud.error('second')
  loud.debug('below the level')
  assert.equal(child.mock.callCount(), 1, 'one child, made on the first line')
  assert.deepEqual(lines.map((l) => [l.request_id, l.msg, l.code]), [['b', 'first', 'X'], ['b', 'second', undefined]])
})

test('a request logger keeps a per-route level and passes children on', () => {
  const { logger, lines } = capture()
  const request = lazyRequestLogger(logger, { request_id: 'c' }, { level: 'error' })
  assert.equal(request.level, 'error')
  request.info('dropped by the route level')
  request.child({ step: 'x' }).error('kept')
  assert.deepEqual(lines.map((l) => [l.request_id, l.step, l.msg]), [['c', 'x', 'kept']])
})
