import type { ServerResponse } from 'node:http'
import type { HttpSink, SinkRequest, SinkResponder } from './sink.js'
import { startSink } from './sink.js'

/**
 * A local HTTP server shaped like the parts of the MediaWiki Action API the `/sys/links/`
 * modules call, and a sink for every other request (RESTBase re-renders, the job runner):
 *
 * - `list=backlinks` (`bltitle`, `bllimit`, `blcontinue`), `prop=transcludedin` (`titles`,
 *   `tilimit`, `ticontinue`) and `list=imageusage` (`iutitle`, `iulimit`, `iucontinue`), each
 *   paged with MediaWiki's `continue` object, answered from `dependants`;
 * - `action=wbgetentities` (`ids`, `props=sitelinks/urls`), answered from `sitelinks`.
 *
 * The wiki is the request's `x-forwarded-host` (the rules' host, as `exec_origin_override`
 * forwards it) or `host`. Tests hold or fail API answers with `onApi`.
 */
export interface MediawikiServer {
  sink: HttpSink
  origin: string
  /** `<domain>|<title>` → the titles depending on it, in API order. */
  dependants: Map<string, string[]>
  /** Item id → sitelink URLs. */
  sitelinks: Map<string, string[]>
  /** Every API call, with its decoded parameters. */
  apiCalls: Array<{ domain: string, params: Record<string, string> }>
  /**
   * Called before an API call is answered: return undefined to answer it, a status to fail
   * it with, or 'hold' to never answer.
   */
  onApi: (call: { domain: string, params: Record<string, string> }, index: number) => number | 'hold' | undefined
  /** How every other request is answered (200 by default). */
  respond: SinkResponder
  /** Non-API requests (re-renders, jobs). */
  renders(): SinkRequest[]
}

/** A call to an `api.php` (any path: endpoints are configured per wiki). */
export function isApi (request: SinkRequest): boolean {
  return (request.path.split('?')[0] ?? '').endsWith('/api.php')
}

export function hostOf (request: SinkRequest): string {
  const forwarded = request.headers['x-forwarded-host']
  return typeof forwarded === 'string' ? forwarded : String(request.headers.host)
}

export async function startMediawiki (): Promise<MediawikiServer> {
  const server: MediawikiServer = {
    sink: undefined as unknown as HttpSink,
    origin: '',
    dependants: new Map(),
    sitelinks: new Map(),
    apiCalls: [],
    onApi: () => undefined,
    respond: () => 200,
    renders: () => server.sink.requests.filter((r) => !isApi(r))
  }
  server.sink = await startSink((request, position) => {
    if (!isApi(request)) return server.respond(request, position)
    const params = Object.fromEntries(new URLSearchParams(request.body))
    const call = { domain: hostOf(request), params }
    const index = server.apiCalls.length
    server.apiCalls.push(call)
    const verdict = server.onApi(call, index)
    if (verdict === 'hold') return () => { /* never answered */ }
    if (typeof verdict === 'number') return verdict
    return (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(server, call.domain, params)))
    }
  })
  server.origin = server.sink.origin
  return server
}

function page (all: readonly string[], limit: string | undefined, token: string | undefined): { items: Array<{ pageid: number, ns: number, title: string }>, next: string | undefined } {
  const start = token === undefined ? 0 : Number(token.split('|')[1])
  const size = Number(limit ?? 10)
  const items = all.slice(start, start + size).map((title, i) => ({ pageid: 1000 + start + i, ns: 0, title }))
  return { items, next: start + size < all.length ? `0|${start + size}` : undefined }
}

function answer (server: MediawikiServer, domain: string, params: Record<string, string>): unknown {
  if (params.action === 'wbgetentities') {
    const id = params.ids ?? ''
    const urls = server.sitelinks.get(id)
    if (urls === undefined) return { entities: { [id]: { id, missing: '' } }, success: 1 }
    const links = Object.fromEntries(urls.map((url, i) => [`site${i}`, { site: `site${i}`, title: decodeURIComponent(url.split('/wiki/')[1] ?? ''), url }]))
    return { entities: { [id]: { type: 'item', id, sitelinks: links } }, success: 1 }
  }
  const lists: Record<string, { title: string | undefined, limit: string | undefined, token: string | undefined, name: string }> = {
    backlinks: { title: params.bltitle, limit: params.bllimit, token: params.blcontinue, name: 'blcontinue' },
    imageusage: { title: params.iutitle, limit: params.iulimit, token: params.iucontinue, name: 'iucontinue' }
  }
  const list = params.list === undefined ? undefined : lists[params.list]
  if (list !== undefined && params.list !== undefined) {
    const { items, next } = page(server.dependants.get(`${domain}|${list.title ?? ''}`) ?? [], list.limit, list.token)
    return { batchcomplete: next === undefined, ...(next === undefined ? {} : { continue: { [list.name]: next, continue: '-||' } }), query: { [params.list]: items } }
  }
  if (params.prop === 'transcludedin') {
    const title = params.titles ?? ''
    const { items, next } = page(server.dependants.get(`${domain}|${title}`) ?? [], params.tilimit, params.ticontinue)
    return {
      ...(next === undefined ? { batchcomplete: true } : { continue: { ticontinue: next, continue: '||' } }),
      query: { pages: [{ pageid: 1, ns: 10, title, transcludedin: items }] }
    }
  }
  return { error: { code: 'badvalue', info: `unsupported call: ${JSON.stringify(params)}` } }
}
