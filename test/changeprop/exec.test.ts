import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Agent } from 'undici'
import { createHttpExecutor, renderRequest, requestUrl } from '../../src/changeprop/exec.js'
import { TemplateRenderError } from '../../src/changeprop/errors.js'
import { compileRule } from '../../src/changeprop/rules/compile.js'
import type { ExecRequestSpec } from '../../src/changeprop/rules/schema.js'
import type { CompiledRequest } from '../../src/changeprop/rules/compile.js'
import { startHttpServer } from '../helpers/http-server.js'
import { testDefaults } from './helpers/rules.js'

function compileExec (exec: ExecRequestSpec): CompiledRequest {
  const rule = compileRule('r', { topic: 't', exec }, { defaults: testDefaults, limiterTypes: new Set(), dedupeByDefault: false })
  const request = rule.cases[0]?.exec[0]
  assert.ok(request)
  return request
}

const message = {
  meta: { domain: 'en.wikipedia.org', dt: '1990-02-20T19:31:13+00:00', uri: 'https://en.wikipedia.org/wiki/User:Foo/Bar', request_id: 'req-1' },
  page_title: 'User:Foo/Bar',
  rev_id: 1234,
  rev_parent_id: 1233
}
const context = { message, match: {} }

/** The origin and path of an absolute URL, as a rendered request carries them. */
const at = (url: string): { origin: string, path: string } => {
  const parsed = new URL(url)
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }
}
const plain = { defaultHeaders: {}, forcedHeaders: {} }

test('renders the seed rule request: URI, headers and query', () => {
  const request = renderRequest(compileExec({
    method: 'get',
    uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}',
    headers: { 'cache-control': 'no-cache', 'x-restbase-parentrevision': '{{message.rev_parent_id}}', 'if-unmodified-since': '{{date(message.meta.dt)}}' },
    query: { redirect: false }
  }), context, { defaultHeaders: { 'user-agent': 'ua' }, forcedHeaders: { 'x-triggered-by': 'chain' } })
  assert.equal(request.method, 'GET')
  assert.equal(requestUrl(request), 'https://en.wikipedia.org/api/rest_v1/page/html/User%3AFoo/Bar/1234?redirect=false')
  assert.deepEqual(request.headers, {
    'user-agent': 'ua',
    'cache-control': 'no-cache',
    'x-restbase-parentrevision': '1233',
    'if-unmodified-since': 'Tue, 20 Feb 1990 19:31:13 +0000',
    'x-triggered-by': 'chain'
  })
  assert.equal(request.body, undefined)
})

test('body encoding: JSON with a JSON content-type, a form without one, strings as they are', () => {
  const json = renderRequest(compileExec({ method: 'post', uri: 'http://x/', headers: { 'content-type': 'application/json' }, body: { a: '{{message.rev_id}}' } }), context, plain)
  assert.equal(json.body, '{"a":1234}')
  const form = renderRequest(compileExec({ method: 'post', uri: 'http://x/', body: { action: 'query', titles: '{{message.page_title}}' } }), context, plain)
  assert.equal(form.body, 'action=query&titles=User%3AFoo%2FBar')
  assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded')
  const whole = renderRequest(compileExec({ method: 'post', uri: 'http://x/', headers: { 'content-type': 'application/json' }, body: '{{globals.message}}' }), context, plain)
  assert.deepEqual(JSON.parse(whole.body ?? ''), message, 'a whole-string template keeps the event as an object')
  const text = renderRequest(compileExec({ method: 'put', uri: 'http://x/', body: 'rev {{message.rev_id}}' }), context, plain)
  assert.equal(text.body, 'rev 1234')
  const list = renderRequest(compileExec({ method: 'post', uri: 'http://x/', body: ['{{message.rev_id}}'] }), context, plain)
  assert.equal(list.body, '[1234]')
  assert.equal(list.headers['content-type'], 'application/json')
})

test('a query is appended to the query the URI already has', () => {
  const request = renderRequest(compileExec({ uri: 'http://x/a?b=1', query: { c: 'd e', f: '{{message.page_title}}' } }), context, plain)
  assert.equal(request.path, '/a?b=1&c=d+e&f=User%3AFoo%2FBar')
  const alone = renderRequest(compileExec({ uri: 'http://x/{{message.rev_id}}', query: { q: '{{message.nope}}' } }), context, plain)
  assert.equal(requestUrl(alone), 'http://x/1234', 'a query of only undefined values adds nothing')
})

test('render failures are TemplateRenderError', () => {
  assert.throws(() => renderRequest(compileExec({ uri: '{{message.page_title}}' }), context, plain), TemplateRenderError)
  assert.throws(() => renderRequest(compileExec({ uri: 'http://x/', headers: { a: '{{message.bad}}' } }), { message: { bad: 'x\r\ny: z' }, match: {} }, plain), TemplateRenderError)
  assert.throws(() => renderRequest(compileExec({ uri: 'http://x/', headers: { a: "{{date('nope')}}" } }), context, plain), TemplateRenderError)
})

test('the origin override sends to another origin and keeps the host in x-forwarded-host', () => {
  const request = renderRequest(compileExec({ uri: 'https://{{message.meta.domain}}/a/b?c=d' }), context, { ...plain, originOverride: new URL('http://127.0.0.1:9999') })
  assert.equal(requestUrl(request), 'http://127.0.0.1:9999/a/b?c=d')
  assert.equal(request.headers['x-forwarded-host'], 'en.wikipedia.org')
})

async function server (t: { after: (fn: () => Promise<void>) => void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return (await startHttpServer(handler, t)).origin
}

test('executes over the injected dispatcher and reports status, headers and a body excerpt', async (t) => {
  const seen: Array<{ method?: string, url?: string, headers: IncomingMessage['headers'], body: string }> = []
  const base = await server(t, (req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      if (req.url === '/redirect') {
        res.writeHead(301, { location: '/elsewhere' }).end()
      } else if (req.url === '/fail') {
        res.writeHead(503, { 'x-why': 'busy' }).end('x'.repeat(100))
      } else {
        res.writeHead(200).end('ok')
      }
    })
  })
  const dispatcher = new Agent({ keepAliveTimeout: 10 })
  t.after(async () => { await dispatcher.close() })
  const executor = createHttpExecutor({ dispatcher, maxBodyBytes: 10 })
  const signal = new AbortController().signal
  const ok = await executor.execute({ method: 'POST', ...at(`${base}/ok?a=1`), headers: { 'x-a': 'b' }, body: 'hello', timeoutMs: 2000 }, signal)
  assert.deepEqual({ ...ok, headers: undefined }, { kind: 'response', status: 200, headers: undefined, body: '' })
  assert.equal(seen[0]?.method, 'POST')
  assert.equal(seen[0]?.url, '/ok?a=1')
  assert.equal(seen[0]?.headers['x-a'], 'b')
  assert.equal(seen[0]?.body, 'hello')

  const redirect = await executor.execute({ method: 'GET', ...at(`${base}/redirect`), headers: {}, body: undefined, timeoutMs: 2000 }, signal)
  assert.equal(redirect.kind === 'response' && redirect.status, 301)
  assert.equal(seen.length, 2, 'the redirect is not followed')

  const failed = await executor.execute({ method: 'GET', ...at(`${base}/fail`), headers: {}, body: undefined, timeoutMs: 2000 }, signal)
  assert.ok(failed.kind === 'response')
  assert.equal(failed.status, 503)
  assert.equal(failed.headers['x-why'], 'busy')
  assert.equal(failed.body, 'xxxxxxxxxx', 'the body excerpt is capped')
})

test('a slow endpoint is a timeout, a closed port a network error, and shutdown rejects', async (t) => {
  const base = await server(t, () => { /* never answers */ })
  const dispatcher = new Agent({ keepAliveTimeout: 10 })
  t.after(async () => { await dispatcher.close() })
  const executor = createHttpExecutor({ dispatcher })
  const signal = new AbortController().signal
  const slow = await executor.execute({ method: 'GET', ...at(`${base}/slow`), headers: {}, body: undefined, timeoutMs: 50 }, signal)
  assert.deepEqual(slow, { kind: 'timeout', timeoutMs: 50 })

  const closed = await startHttpServer(() => {})
  await closed.close()
  const refused = await executor.execute({ method: 'GET', ...at(`${closed.origin}/`), headers: {}, body: undefined, timeoutMs: 2000 }, signal)
  assert.equal(refused.kind, 'network')

  const shutdown = new AbortController()
  const pending = executor.execute({ method: 'GET', ...at(`${base}/slow`), headers: {}, body: undefined, timeoutMs: 5000 }, shutdown.signal)
  shutdown.abort(new Error('shutting down'))
  await assert.rejects(pending, /shutting down/)
})

test('a body that stalls: after an error status it is a timeout, after a success the status stands', async (t) => {
  const base = await server(t, (req, res) => {
    res.writeHead(req.url === '/error' ? 503 : 200, { 'content-type': 'text/plain' })
    res.write('partial') // and never ends
  })
  const dispatcher = new Agent({ keepAliveTimeout: 10 })
  t.after(async () => { await dispatcher.close() })
  const executor = createHttpExecutor({ dispatcher })
  const signal = new AbortController().signal
  const failed = await executor.execute({ method: 'GET', ...at(`${base}/error`), headers: {}, body: undefined, timeoutMs: 100 }, signal)
  assert.deepEqual(failed, { kind: 'timeout', timeoutMs: 100 })
  const ok = await executor.execute({ method: 'GET', ...at(`${base}/ok`), headers: {}, body: undefined, timeoutMs: 100 }, signal)
  assert.equal(ok.kind, 'response')
  assert.equal(ok.kind === 'response' ? ok.status : 0, 200)
})
