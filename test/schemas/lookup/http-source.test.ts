import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { createHttpSchemaSource } from '../../../src/schemas/lookup/http-source.js'
import type { HttpSchemaSourceOptions } from '../../../src/schemas/lookup/http-source.js'
import { SchemaFetchError, SchemaTooLargeError, SchemaUriRefusedError } from '../../../src/schemas/lookup/errors.js'
import { startServer } from './support.js'

function agent (t: TestContext): Agent {
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  return dispatcher
}

function source (t: TestContext, baseUrl: string, overrides: Partial<HttpSchemaSourceOptions> = {}): ReturnType<typeof createHttpSchemaSource> {
  return createHttpSchemaSource({ baseUrl, dispatcher: agent(t), timeoutMs: 2000, maxBytes: 4096, userAgent: 'sluice-test/1', ...overrides })
}

test('fetches a file below the base URL with our user agent', async (t) => {
  const headers: Array<string | undefined> = []
  const server = await startServer(t, (req, res) => {
    headers.push(req.headers['user-agent'])
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('title: test/event\n')
  })
  const http = source(t, `${server.url}/repositories/primary/jsonschema`)
  assert.equal(http.baseUri, `${server.url}/repositories/primary/jsonschema/`)
  assert.equal(await http.read('test/event/1.0.0'), 'title: test/event\n')
  assert.deepEqual(server.requests, ['/repositories/primary/jsonschema/test/event/1.0.0'])
  assert.deepEqual(headers, ['sluice-test/1'])
})

test('404 and 410 mean absent', async (t) => {
  const server = await startServer(t, (req, res) => {
    res.writeHead(req.url?.includes('gone') === true ? 410 : 404)
    res.end('not here')
  })
  const http = source(t, `${server.url}/`)
  assert.equal(await http.read('test/event/9.9.9'), undefined)
  assert.equal(await http.read('test/gone/1.0.0'), undefined)
})

test('other non-2xx statuses, and redirects, are retriable fetch failures', async (t) => {
  const server = await startServer(t, (req, res) => {
    if (req.url?.endsWith('redirect') === true) {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' })
    } else {
      res.writeHead(req.url?.endsWith('forbidden') === true ? 403 : 503)
    }
    res.end()
  })
  const http = source(t, `${server.url}/`)
  for (const [path, status] of [['unavailable', 503], ['forbidden', 403], ['redirect', 302]] as const) {
    await assert.rejects(http.read(path), (err: unknown) => {
      assert.ok(err instanceof SchemaFetchError, path)
      assert.equal(err.retriable, true)
      assert.match(err.detail, new RegExp(`HTTP ${status}`))
      return true
    })
  }
  assert.equal(server.requests.length, 3, 'the redirect was not followed')
})

test('a server that does not answer in time is a timeout failure', async (t) => {
  const server = await startServer(t, () => { /* never answers */ })
  const http = source(t, `${server.url}/`, { timeoutMs: 100 })
  const started = Date.now()
  await assert.rejects(http.read('slow/1.0.0'), (err: unknown) => {
    assert.ok(err instanceof SchemaFetchError)
    assert.match(err.detail, /did not answer within 100 ms/)
    return true
  })
  assert.ok(Date.now() - started < 1900, 'gave up at the timeout')
})

test('a body that stalls midway is a timeout failure', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('title: ')
  })
  await assert.rejects(source(t, `${server.url}/`, { timeoutMs: 150 }).read('stall/1.0.0'), SchemaFetchError)
})

test('bodies over maxBytes are refused, by Content-Length or while streaming', async (t) => {
  const server = await startServer(t, (req, res) => {
    if (req.url?.endsWith('declared') === true) {
      res.writeHead(200, { 'content-length': '5000' })
      res.end('x'.repeat(5000))
      return
    }
    res.writeHead(200) // chunked: the size is only known while reading
    const write = (left: number): void => {
      if (left === 0) { res.end(); return }
      if (res.write('x'.repeat(1000))) write(left - 1)
      else res.once('drain', () => write(left - 1))
    }
    write(50)
  })
  const http = source(t, `${server.url}/`, { maxBytes: 4096 })
  for (const path of ['declared', 'chunked']) {
    await assert.rejects(http.read(path), (err: unknown) => {
      assert.ok(err instanceof SchemaTooLargeError, path)
      assert.equal(err.limit, 4096)
      return true
    })
  }
})

test('an unreachable host is a fetch failure', async (t) => {
  // Take a free port, then free it: nothing listens there any more.
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  await assert.rejects(source(t, `http://127.0.0.1:${port}/`).read('x/1.0.0'), (err: unknown) => {
    assert.ok(err instanceof SchemaFetchError)
    assert.match(err.detail, /cannot be reached/)
    return true
  })
})

test('paths that would leave the base URL are refused without a request', async (t) => {
  const server = await startServer(t, (_req, res) => { res.end('x') })
  const http = source(t, `${server.url}/primary/`)
  for (const path of ['../secret', '/secret', '//evil.example/x', 'x?y=1', 'x#y']) {
    await assert.rejects(http.read(path), SchemaUriRefusedError, path)
  }
  assert.deepEqual(server.requests, [])
})
