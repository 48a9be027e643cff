import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { buildTestGateway, listen } from '../helpers/gateway.js'

interface RawAnswer {
  head: string
  body: string
  /** Milliseconds from connecting until the server closed the connection. */
  elapsedMs: number
}

/** How long a test waits for the server to close a connection before it gives up on it. */
const giveUpMs = 5000

/**
 * Writes `chunks` on a raw TCP connection and collects everything until the server closes it
 * (or `giveUpMs` passed: then the client closes it, so a server that holds it fails the test
 * instead of hanging it).
 */
async function rawExchange (url: string, chunks: readonly string[]): Promise<RawAnswer> {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  const socket = connect({ host: hostname, port: Number(port) })
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  const giveUp = setTimeout(() => socket.destroy(), giveUpMs)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => { for (const chunk of chunks) socket.write(chunk) })
    socket.once('close', () => resolve())
    socket.once('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err) })
  })
  clearTimeout(giveUp)
  const text = Buffer.concat(received).toString('utf8')
  const split = text.indexOf('\r\n\r\n')
  return { head: split === -1 ? text : text.slice(0, split), body: split === -1 ? '' : text.slice(split + 4), elapsedMs: Date.now() - started }
}

const event = JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: 'x' })

test('a body that stops short of its Content-Length is answered 408 within request_timeout_ms', async (t) => {
  const gateway = await buildTestGateway(t, { config: { request_timeout_ms: 300, port: 0, listen_address: '127.0.0.1' } })
  const url = await listen(gateway)
  const answer = await rawExchange(url, [
    `POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${event.length + 100}\r\n\r\n`,
    event
  ])
  assert.match(answer.head, /^HTTP\/1\.1 408 /)
  assert.match(answer.head, /\r\nConnection: close\r\n/i)
  assert.equal((JSON.parse(answer.body) as { code: string }).code, 'SLUICE_ERR_REQUEST_TIMEOUT')
  assert.ok(answer.elapsedMs < giveUpMs, `the connection was held for ${answer.elapsedMs} ms`)
})

test('a body that trickles in is cut off at request_timeout_ms even though bytes keep arriving', async (t) => {
  const gateway = await buildTestGateway(t, { config: { request_timeout_ms: 400, port: 0, listen_address: '127.0.0.1' } })
  const url = await listen(gateway)
  const { hostname, port } = new URL(url)
  const started = Date.now()
  const socket = connect({ host: hostname, port: Number(port) })
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  socket.on('error', () => {})
  socket.write(`POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${event.length}\r\n\r\n`)
  let sent = 0
  const trickle = setInterval(() => { if (sent < event.length && socket.writable) socket.write(event[sent++] as string) }, 50)
  const giveUp = setTimeout(() => socket.destroy(), giveUpMs)
  t.after(() => { clearInterval(trickle); clearTimeout(giveUp) })
  await new Promise<void>((resolve) => socket.once('close', () => resolve()))
  clearInterval(trickle)
  const elapsed = Date.now() - started
  assert.ok(sent < event.length, 'the body was still arriving when the answer came')
  assert.match(Buffer.concat(received).toString('utf8'), /^HTTP\/1\.1 408 /)
  assert.ok(elapsed < giveUpMs, `the connection was held for ${elapsed} ms`)
})

test('431 for oversized headers says Connection: close and carries a problem body', async (t) => {
  const gateway = await buildTestGateway(t, { config: { port: 0, listen_address: '127.0.0.1' } })
  const url = await listen(gateway)
  const answer = await rawExchange(url, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`])
  assert.match(answer.head, /^HTTP\/1\.1 431 /)
  assert.match(answer.head, /\r\nConnection: close\r\n/i)
  const problem = JSON.parse(answer.body) as { status: number, code: string, method: string, uri: string }
  assert.equal(problem.status, 431)
  assert.equal(problem.code, 'SLUICE_ERR_REQUEST_HEADERS_TOO_LARGE')
  assert.equal(problem.method, 'GET')
  assert.equal(problem.uri, '/healthz')
})
