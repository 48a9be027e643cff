import { EventEmitter } from 'node:events'
import type { Dispatcher } from 'undici'
import { TemplateRenderError } from './errors.js'
import type { StepResult } from './outcome.js'
import type { CompiledRequest } from './rules/compile.js'
import type { TemplateContext } from './rules/template/index.js'
import { encodeForm } from './rules/template/index.js'

/** A rendered exec request, ready to send. */
export interface HttpRequest {
  /** Upper-case. */
  method: string
  /** `scheme://host[:port]`. */
  origin: string
  /** The encoded path and query, from the first `/`. */
  path: string
  headers: Record<string, string>
  body: string | undefined
  timeoutMs: number
  /** Keep this many bytes of a successful answer's body (in-process modules read their answers); by default it is discarded. */
  readBodyBytes?: number
}

/** The whole URL of a rendered request. */
export const requestUrl = (request: HttpRequest): string => `${request.origin}${request.path}`

export interface RenderRequestOptions {
  /** Set before the rule's own headers, so a rule may override them (user-agent). */
  defaultHeaders: Record<string, string>
  /** Set after the rule's headers: the engine owns them (x-triggered-by). */
  forcedHeaders: Record<string, string>
  /** Development aid: replaces the rendered origin; the rendered host goes in `x-forwarded-host`. */
  originOverride?: URL | undefined
}

/**
 * Renders one exec request template for one event. Throws TemplateRenderError when a
 * function fails, the URI is not an absolute http(s) URL, or a header value is unsafe.
 *
 * Bodies are encoded as the reference's HTTP client did: a string is sent as it is; an
 * object with a JSON content-type, or any array or scalar, as JSON; an object with no
 * content-type as a form (`application/x-www-form-urlencoded`), which is how MediaWiki
 * API calls are written in existing rules.
 *
 * The URI is parsed once, to check it and normalize it as undici would; the query is appended
 * to its text rather than through URLSearchParams and a second parse (a quarter of the cost of
 * rendering, in the profile of one rule).
 */
export function renderRequest (request: CompiledRequest, context: TemplateContext, options: RenderRequestOptions): HttpRequest {
  const url = parseUri(request.uri(context))
  let search = url.search
  const query = request.query?.(context)
  if (query !== undefined && query !== null && typeof query === 'object') {
    const extra = encodeForm(query as Record<string, unknown>)
    if (extra !== '') search = search === '' ? `?${extra}` : `${search}&${extra}`
  }

  const headers: Record<string, string> = {}
  putHeaders(headers, options.defaultHeaders)
  const ruleHeaders = request.headers(context)
  if (ruleHeaders !== null && typeof ruleHeaders === 'object') putHeaders(headers, ruleHeaders as Record<string, unknown>)
  putHeaders(headers, options.forcedHeaders)

  const body = renderBody(request, context, headers)
  let origin = url.origin
  if (options.originOverride !== undefined) {
    headers['x-forwarded-host'] = url.host
    origin = options.originOverride.origin
  }
  return { method: request.method, origin, path: `${url.pathname}${search}`, headers, body, timeoutMs: request.timeoutMs }
}

function parseUri (rendered: unknown): URL {
  if (typeof rendered !== 'string') throw new TemplateRenderError(`uri rendered to ${typeof rendered}, not a string`)
  let url: URL
  try {
    url = new URL(rendered)
  } catch (err) {
    throw new TemplateRenderError(`uri rendered to '${rendered}', which is not an absolute URL`, { cause: err })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TemplateRenderError(`uri '${rendered}' is not http(s)`)
  return url
}

/** Every own key of `from` (a loop over keys rather than Object.entries: no pair is made per header and event). */
function putHeaders (headers: Record<string, string>, from: Record<string, unknown>): void {
  for (const name of Object.keys(from)) putHeader(headers, name, from[name])
}

function putHeader (headers: Record<string, string>, name: string, value: unknown): void {
  if (value === undefined || value === null) return
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  if (/[\r\n\0]/.test(text)) throw new TemplateRenderError(`header '${name}' rendered to a value with a line break`)
  headers[name.toLowerCase()] = text
}

/** The encoded body, if the request has one; sets the content-type the encoding implies when none is set. */
function renderBody (request: CompiledRequest, context: TemplateContext, headers: Record<string, string>): string | undefined {
  const value = request.body?.(context)
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (headers['content-type'] === undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    return encodeForm(value as Record<string, unknown>)
  }
  headers['content-type'] ??= 'application/json'
  return JSON.stringify(value)
}

export interface HttpExecutor {
  /**
   * Sends one request. Resolves with the response or the failure as data; rejects only when
   * `signal` aborts (shutdown), which is not the event's failure.
   */
  execute(request: HttpRequest, signal: AbortSignal): Promise<StepResult>
}

export interface HttpExecutorOptions {
  dispatcher: Dispatcher
  /** How much of a response body is kept for error events and logs. Default 64 KiB. */
  maxBodyBytes?: number
}

/**
 * Aborts one request. undici takes an EventEmitter as a request's signal; a fresh
 * AbortController and its EventTarget listeners for every request cost about a third of
 * the client's throughput, an emitter almost nothing.
 */
class RequestAbort extends EventEmitter {
  aborted = false
  reason: unknown = undefined

  abort (reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }
}

/** Sends exec requests through the injected undici Dispatcher. Redirects are never followed. */
export function createHttpExecutor (options: HttpExecutorOptions): HttpExecutor {
  const maxBodyBytes = options.maxBodyBytes ?? 65536
  // Requests in flight per shutdown signal: one listener per signal aborts them all.
  const running = new WeakMap<AbortSignal, Set<RequestAbort>>()

  function track (signal: AbortSignal, abort: RequestAbort): () => void {
    let requests = running.get(signal)
    if (requests === undefined) {
      const created = new Set<RequestAbort>()
      signal.addEventListener('abort', () => {
        for (const each of created) each.abort(signal.reason)
      }, { once: true })
      running.set(signal, created)
      requests = created
    }
    const owner = requests
    owner.add(abort)
    return () => { owner.delete(abort) }
  }

  return {
    async execute (request, signal) {
      signal.throwIfAborted()
      const abort = new RequestAbort()
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        abort.abort(new Error(`timed out after ${request.timeoutMs} ms`))
      }, request.timeoutMs)
      const untrack = track(signal, abort)
      try {
        const response = await options.dispatcher.request({
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
          signal: abort
        })
        const chunks: Buffer[] = []
        let size = 0
        const keep = request.readBodyBytes ?? maxBodyBytes
        if (response.statusCode < 400 && request.readBodyBytes === undefined) {
          // Read to the end so the connection is reused. An abort now destroys the body (the
          // request's signal covers it) and ends the dump: the status has arrived and stands.
          await response.body.dump({ limit: Number.MAX_SAFE_INTEGER })
        } else {
          for await (const chunk of response.body) {
            const buffer = chunk as Buffer
            if (size < keep) chunks.push(buffer.subarray(0, keep - size))
            size += buffer.length
          }
        }
        const headers = flattenHeaders(response.headers)
        const body = Buffer.concat(chunks).toString('utf8')
        return size > keep
          ? { kind: 'response', status: response.statusCode, headers, body, truncated: true }
          : { kind: 'response', status: response.statusCode, headers, body }
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err
        if (timedOut) return { kind: 'timeout', timeoutMs: request.timeoutMs }
        return { kind: 'network', error: err instanceof Error ? err : new Error(String(err)) }
      } finally {
        clearTimeout(timer)
        untrack()
      }
    }
  }
}

function flattenHeaders (headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
