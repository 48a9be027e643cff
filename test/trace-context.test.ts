import { test } from 'node:test'
import assert from 'node:assert/strict'
import { childOf, formatTraceparent, parseTraceparent, traceHeaders } from '../src/trace-context.js'

const example = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

test('the specification\'s example parses, and formats back as it was', () => {
  const parsed = parseTraceparent(example, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
  assert.deepEqual(parsed, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01', tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' })
  assert.equal(formatTraceparent(parsed!), example)
})

test('invalid traceparents are not contexts', () => {
  for (const bad of [
    '', 'garbage', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', // three fields
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero span id
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra' // version 00 has four fields
  ]) assert.equal(parseTraceparent(bad), undefined, bad)
  assert.equal(parseTraceparent(undefined), undefined)
})

test('a later version may append fields; the known ones are read', () => {
  assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more')?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
})

test('a child keeps the trace, flags and state with a new span; without a parent a new sampled trace starts', () => {
  const parent = parseTraceparent(example, 'rojo=1')!
  const child = childOf(parent)
  assert.equal(child.traceId, parent.traceId)
  assert.notEqual(child.spanId, parent.spanId)
  assert.match(child.spanId, /^[0-9a-f]{16}$/)
  assert.deepEqual(traceHeaders(child), { traceparent: `00-${parent.traceId}-${child.spanId}-01`, tracestate: 'rojo=1' })
  const fresh = childOf(undefined)
  assert.match(formatTraceparent(fresh), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  assert.notEqual(childOf(undefined).traceId, fresh.traceId)
  assert.deepEqual(Object.keys(traceHeaders(fresh)), ['traceparent'])
})
