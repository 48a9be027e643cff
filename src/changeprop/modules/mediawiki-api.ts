import type { HttpExecutor, HttpRequest } from '../exec.js'
import { TemplateRenderError } from '../errors.js'
import type { StepResult } from '../outcome.js'
import type { Render, TemplateContext } from '../rules/template/index.js'
import { compileTemplate, compileTemplateString, encodeForm } from '../rules/template/index.js'

/**
 * The MediaWiki Action API as the `/sys/links/` modules call it: one form-encoded POST per
 * page of results, to an endpoint chosen per wiki. The endpoint, headers, extra parameters
 * and page size come from `mediawiki_api` in the configuration, with `domains.<domain>`
 * overriding them for one wiki (the reference had one request template for every wiki).
 */
export interface MediawikiApiEndpointSettings {
  /** Template of the endpoint; the context is `{message: <the event>}`. */
  uri: string
  /** Header templates sent with every call (the reference sent `host`). */
  headers: Record<string, string>
  /** Parameters added to every call, e.g. `formatversion: 2`. */
  params: Record<string, string | number | boolean>
  /** Results asked for per call (`bllimit`, `tilimit`, `iulimit`). */
  limit: number
  timeout_ms: number
}

export interface MediawikiApiSettings extends MediawikiApiEndpointSettings {
  /** Bytes of one answer read at most; a larger answer fails the call (and is retried). */
  max_response_bytes: number
  /** Continuations one walk may follow before it stops (loop protection against an API that never ends). */
  max_pages: number
  domains: Record<string, Partial<MediawikiApiEndpointSettings>>
}

/** The answer of one call: the parsed JSON body, or the failure as an exec step result. */
export type ApiAnswer = { ok: true, body: Record<string, unknown> } | { ok: false, result: StepResult, outcome: ApiOutcome }

/** Closed label values of `sluice_changeprop_mediawiki_api_requests_total`. */
export type ApiOutcome = 'ok' | 'http_error' | 'api_error' | 'network' | 'timeout'

export interface MediawikiApiCall {
  /** The event the call is made for (its `meta.domain` picks the settings). */
  event: { meta: Record<string, unknown> }
  params: Record<string, string | number | boolean | undefined>
  /** Headers the engine owns: user-agent default, x-request-id, x-triggered-by, trace context. */
  defaultHeaders: Record<string, string>
  forcedHeaders: Record<string, string>
  signal: AbortSignal
}

export interface MediawikiApi {
  /** Results asked for per call on `domain`. */
  limitOf(domain: string): number
  readonly maxPages: number
  call(request: MediawikiApiCall): Promise<ApiAnswer>
}

interface CompiledEndpoint {
  uri: Render
  headers: Render
  params: Record<string, string | number | boolean>
  limit: number
  timeoutMs: number
}

/** Compiles the endpoint templates; throws TemplateSyntaxError naming the bad one. */
export function createMediawikiApi (settings: MediawikiApiSettings, deps: { http: HttpExecutor, originOverride?: URL | undefined }): MediawikiApi {
  const compile = (domain: Partial<MediawikiApiEndpointSettings>): CompiledEndpoint => ({
    uri: compileTemplateString(domain.uri ?? settings.uri, 'uri'),
    headers: compileTemplate({ ...settings.headers, ...domain.headers }),
    params: { ...settings.params, ...domain.params },
    limit: domain.limit ?? settings.limit,
    timeoutMs: domain.timeout_ms ?? settings.timeout_ms
  })
  const fallback = compile({})
  const byDomain = new Map(Object.entries(settings.domains).map(([domain, overrides]) => [domain, compile(overrides)]))
  const endpointOf = (domain: unknown): CompiledEndpoint => (typeof domain === 'string' ? byDomain.get(domain) : undefined) ?? fallback

  function render (endpoint: CompiledEndpoint, call: MediawikiApiCall): HttpRequest {
    const context: TemplateContext = { message: call.event, match: {} }
    const rendered = endpoint.uri(context)
    let url: URL
    try {
      url = new URL(String(rendered))
    } catch (err) {
      throw new TemplateRenderError(`mediawiki_api.uri rendered to '${String(rendered)}', which is not an absolute URL`, { cause: err })
    }
    const headers: Record<string, string> = {}
    const put = (name: string, value: unknown): void => {
      if (value === undefined || value === null) return
      const text = String(value)
      if (/[\r\n\0]/.test(text)) throw new TemplateRenderError(`mediawiki_api header '${name}' rendered to a value with a line break`)
      headers[name.toLowerCase()] = text
    }
    for (const [name, value] of Object.entries(call.defaultHeaders)) put(name, value)
    for (const [name, value] of Object.entries(endpoint.headers(context) as Record<string, unknown>)) put(name, value)
    for (const [name, value] of Object.entries(call.forcedHeaders)) put(name, value)
    headers['content-type'] = 'application/x-www-form-urlencoded'
    let origin = url.origin
    if (deps.originOverride !== undefined) {
      headers['x-forwarded-host'] = url.host
      origin = deps.originOverride.origin
    }
    const body = encodeForm({ format: 'json', ...endpoint.params, ...call.params })
    return { method: 'POST', origin, path: `${url.pathname}${url.search}`, headers, body, timeoutMs: endpoint.timeoutMs, readBodyBytes: settings.max_response_bytes }
  }

  return {
    maxPages: settings.max_pages,
    limitOf: (domain) => endpointOf(domain).limit,
    async call (call) {
      let request: HttpRequest
      try {
        request = render(endpointOf(call.event.meta.domain), call)
      } catch (err) {
        if (err instanceof TemplateRenderError) return { ok: false, result: { kind: 'render-failed', error: err }, outcome: 'api_error' }
        throw err
      }
      const result = await deps.http.execute(request, call.signal)
      if (result.kind === 'network') return { ok: false, result, outcome: 'network' }
      if (result.kind === 'timeout') return { ok: false, result, outcome: 'timeout' }
      if (result.kind !== 'response') return { ok: false, result, outcome: 'http_error' }
      if (result.status >= 300) return { ok: false, result, outcome: 'http_error' }
      return parseAnswer(result, settings.max_response_bytes)
    }
  }
}

/**
 * A 2xx answer that is not a JSON object, was cut at `max_response_bytes`, or carries an
 * API `error` (maxlag, read-only, an internal error) fails the call as a 502, so the rule's
 * `retry_on` (5xx by default) retries it through the retry topic like any exec failure.
 */
function parseAnswer (result: StepResult & { kind: 'response' }, maxBytes: number): ApiAnswer {
  const failed = (reason: string): ApiAnswer => ({
    ok: false,
    outcome: 'api_error',
    result: { kind: 'response', status: 502, headers: result.headers, body: JSON.stringify({ title: reason }) }
  })
  if (result.truncated === true) return failed(`the MediaWiki API answer is larger than mediawiki_api.max_response_bytes (${maxBytes})`)
  let body: unknown
  try {
    body = JSON.parse(result.body)
  } catch {
    return failed('the MediaWiki API answer is not JSON')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return failed('the MediaWiki API answer is not a JSON object')
  const error = (body as Record<string, unknown>).error
  if (error !== undefined) {
    const code = error !== null && typeof error === 'object' ? String((error as Record<string, unknown>).code) : String(error)
    return failed(`the MediaWiki API answered with error '${code}'`)
  }
  return { ok: true, body: body as Record<string, unknown> }
}
