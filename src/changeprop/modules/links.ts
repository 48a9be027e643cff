import { randomUUID } from 'node:crypto'
import { triggeredBy } from '../chain.js'
import type { ChangeEvent } from '../decode.js'
import { isChangeEvent } from '../decode.js'
import { TemplateRenderError } from '../errors.js'
import type { LinksModule } from '../rules/routes.js'
import { linksStreamOf } from '../../stream-config/index.js'
import type { ApiOutcome, MediawikiApi } from './mediawiki-api.js'
import type { ModuleOutcome, ModuleRecord } from './module.js'
import { stableId } from './module.js'

/**
 * The dependency fan-out of `/sys/links/` (the reference's `sys/dep_updates.js`): asks the
 * MediaWiki Action API for one page of a title's dependants and produces one
 * `resource_change` event per dependant to the module's stream, plus, when the API says
 * there is more, a continuation event to the same stream carrying the API's token. The
 * rule consuming that stream calls the module again with the continuation (its `continue/1`
 * case), so millions of dependants are walked one page per event: no event holds a
 * partition for longer than one API call, and a crash repeats at most one page (whose events
 * keep their ids, so the consuming rules deduplicate them).
 *
 * - `backlinks/{title}`: pages linking to the title (`list=backlinks`, redirects left out);
 * - `transcludes/{title}`: pages transcluding it (`prop=transcludedin`), or, for a file,
 *   pages using it (`list=imageusage`);
 * - `wikidata_descriptions`: the pages a Wikidata item is sitelinked to, whose summaries
 *   show its description (`action=wbgetentities`, `props=sitelinks/urls`; one call).
 */
export interface LinksRequest {
  /** The rule calling the module (for metrics). */
  rule: string
  module: LinksModule
  /** The title from the route (backlinks, transcludes); the item id comes from the event for wikidata_descriptions. */
  title: string | undefined
  /** The rendered body: the triggering event, or a continuation event. */
  body: unknown
  /** The chain of the handled event (x-triggered-by of the API call). */
  chain: string
  /** The stream the rule consumed, for events that name none. */
  topic: string
  defaultHeaders: Record<string, string>
  forcedHeaders: Record<string, string>
  signal: AbortSignal
}

export interface LinksModuleDeps {
  api: MediawikiApi
  now?: () => number
  /** Counts every API call by outcome. */
  countCall: (rule: string, module: LinksModule, outcome: ApiOutcome) => void
}

interface Page {
  titles: string[]
  /** The token of the next page, undefined on the last one. */
  next: string | undefined
  /** The domain the dependants live on, when it is not the event's (Wikidata sitelinks carry their URL). */
  urls?: string[]
}

const fileTitle = /^(?:File|Image):/i
const entityId = /^[A-Z]\d+$/i

export function createLinksModule (deps: LinksModuleDeps): (request: LinksRequest) => Promise<ModuleOutcome> {
  const now = deps.now ?? Date.now

  return async (request) => {
    const { body } = request
    if (!isChangeEvent(body)) return renderFailed(`${request.module}: the body is not an event (an object with meta)`)
    const continuing = isChangeEvent(body.original_event) && body.continue !== undefined && body.continue !== null
    const original = continuing ? body.original_event as ChangeEvent : body
    const token = continuing ? String(body.continue) : undefined
    const depth = continuing ? (typeof body.continue_depth === 'number' ? body.continue_depth : 1) : 0
    if (depth > deps.api.maxPages) return { kind: 'produce', records: [], stats: { module: request.module, depth } }
    const query = queryOf(request, original, token, deps.api.limitOf(String(original.meta.domain)))
    if (query === undefined) return { kind: 'produce', records: [], stats: { module: request.module, dependants: 0, depth } }

    const answer = await deps.api.call({ event: original, params: query.params, defaultHeaders: request.defaultHeaders, forcedHeaders: request.forcedHeaders, signal: request.signal })
    deps.countCall(request.rule, request.module, answer.ok ? 'ok' : answer.outcome)
    if (!answer.ok) return { kind: 'failed', result: answer.result }
    const page = query.read(answer.body)

    const stream = linksStreamOf(request.module)
    const originalStream = typeof original.meta.stream === 'string' ? original.meta.stream : request.topic
    const chain = triggeredBy(original, originalStream)
    const rootEvent = rootEventOf(original)
    const sourceId = typeof body.meta.id === 'string' ? body.meta.id : randomUUID()
    const dt = new Date(now()).toISOString()
    const records: ModuleRecord[] = []
    const uris = page.urls ?? page.titles.map((title) => `https://${String(original.meta.domain)}/wiki/${encodeURIComponent(title.replaceAll(' ', '_'))}`)
    for (const uri of uris) {
      records.push({
        stream,
        event: {
          $schema: '/resource_change/1.0.0',
          meta: { stream, schema_uri: 'resource_change/1', uri, id: stableId(sourceId, uri), dt, domain: domainOf(uri, original), ...requestIdOf(original) },
          triggered_by: chain,
          tags: query.tags,
          root_event: rootEvent
        }
      })
    }
    if (page.next !== undefined) {
      records.push({
        stream,
        continuation: true,
        event: {
          $schema: '/change-prop/continue/1.0.0',
          meta: { stream, schema_uri: 'continue/1', uri: original.meta.uri, id: stableId(sourceId, 'continue', page.next), dt, domain: original.meta.domain, ...requestIdOf(original) },
          triggered_by: chain,
          original_event: original,
          continue: page.next,
          continue_depth: depth + 1,
          root_event: rootEvent
        }
      })
    }
    return { kind: 'produce', records, stats: { module: request.module, dependants: uris.length, continued: page.next !== undefined, depth } }
  }
}

interface Query {
  params: Record<string, string | number | boolean | undefined>
  tags: string[]
  read: (body: Record<string, unknown>) => Page
}

/** The API call for one page of the walk; undefined when there is nothing to ask. */
function queryOf (request: LinksRequest, original: ChangeEvent, token: string | undefined, limit: number): Query | undefined {
  const { title } = request
  switch (request.module) {
    case 'backlinks':
      if (title === undefined) return undefined
      return {
        params: { action: 'query', list: 'backlinks', bltitle: title, blfilterredir: 'nonredirects', bllimit: limit, blcontinue: token },
        tags: ['backlinks'],
        read: (body) => ({ titles: titlesOf(queryPart(body).backlinks), next: tokenOf(body, 'blcontinue') })
      }
    case 'transcludes':
      if (title === undefined) return undefined
      if (original.page_namespace === 6 || fileTitle.test(title)) {
        return {
          params: { action: 'query', list: 'imageusage', iutitle: title, iulimit: limit, iucontinue: token },
          tags: ['transcludes', 'files'],
          read: (body) => ({ titles: titlesOf(queryPart(body).imageusage), next: tokenOf(body, 'iucontinue') })
        }
      }
      return {
        params: { action: 'query', prop: 'transcludedin', tiprop: 'title', tishow: '!redirect', titles: title, tilimit: limit, ticontinue: token },
        tags: ['transcludes', 'templates'],
        read: (body) => ({ titles: pagesOf(queryPart(body).pages).flatMap((page) => titlesOf(page.transcludedin)), next: tokenOf(body, 'ticontinue') })
      }
    case 'wikidata_descriptions': {
      const id = typeof original.page_title === 'string' ? original.page_title : title
      if (id === undefined || !entityId.test(id)) return undefined
      return {
        params: { action: 'wbgetentities', ids: id, props: 'sitelinks/urls', normalize: true },
        tags: ['wikidata'],
        read: (body) => ({ titles: [], urls: sitelinkUrlsOf(body, id), next: undefined })
      }
    }
  }
}

function queryPart (body: Record<string, unknown>): Record<string, unknown> {
  const query = body.query
  return query !== null && typeof query === 'object' && !Array.isArray(query) ? query as Record<string, unknown> : {}
}

/** `query.pages` is a list in formatversion 2 and a map by page id in formatversion 1. */
function pagesOf (pages: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(pages) ? pages : pages !== null && typeof pages === 'object' ? Object.values(pages) : []
  return list.filter((page): page is Record<string, unknown> => page !== null && typeof page === 'object')
}

function titlesOf (items: unknown): string[] {
  if (!Array.isArray(items)) return []
  return items.flatMap((item) => item !== null && typeof item === 'object' && typeof (item as { title?: unknown }).title === 'string' ? [(item as { title: string }).title] : [])
}

function tokenOf (body: Record<string, unknown>, name: string): string | undefined {
  const next = body.continue
  if (next === null || typeof next !== 'object') return undefined
  const token = (next as Record<string, unknown>)[name]
  return token === undefined || token === null ? undefined : String(token)
}

function sitelinkUrlsOf (body: Record<string, unknown>, id: string): string[] {
  const entities = body.entities
  if (entities === null || typeof entities !== 'object') return []
  const entity = Object.values(entities as Record<string, unknown>).find((e) => e !== null && typeof e === 'object' && String((e as { id?: unknown }).id).toUpperCase() === id.toUpperCase())
  const sitelinks = entity === undefined ? undefined : (entity as { sitelinks?: unknown }).sitelinks
  if (sitelinks === null || typeof sitelinks !== 'object') return []
  return Object.values(sitelinks as Record<string, unknown>).flatMap((link) => {
    const url = link !== null && typeof link === 'object' ? (link as { url?: unknown }).url : undefined
    return typeof url === 'string' && /^https?:\/\//.test(url) ? [url] : []
  })
}

function domainOf (uri: string, original: ChangeEvent): unknown {
  try {
    return new URL(uri).host
  } catch {
    return original.meta.domain
  }
}

function requestIdOf (original: ChangeEvent): { request_id?: unknown } {
  return original.meta.request_id === undefined ? {} : { request_id: original.meta.request_id }
}

/** The walk's root: the triggering event's own root, or the triggering event. */
function rootEventOf (original: ChangeEvent): unknown {
  const root = original.root_event
  if (root !== null && typeof root === 'object') return root
  return { signature: original.meta.uri, dt: original.meta.dt }
}

function renderFailed (message: string): ModuleOutcome {
  return { kind: 'failed', result: { kind: 'render-failed', error: new TemplateRenderError(message) } }
}
