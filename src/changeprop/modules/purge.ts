import { randomUUID } from 'node:crypto'
import { isChangeEvent } from '../decode.js'
import type { ChangeEvent } from '../decode.js'
import { TemplateRenderError } from '../errors.js'
import type { HtcpSender } from './htcp.js'
import type { ModuleOutcome, ModuleRecord } from './module.js'
import { stableId } from './module.js'

/**
 * CDN purge (`POST /sys/purge/`, the reference's `sys/purge.js`). The body is a list of
 * `{meta: {uri}}` (or one); each URI becomes a `resource_change` event on the purge stream
 * (`purge.stream`, `resource-purge` by default: what Wikimedia's CDN purgers consume now),
 * and, when `purge.htcp` is set, an HTCP CLR datagram to that host and port, as the
 * reference sent to its multicast group. Protocol-relative URIs (`//host/path`, as the
 * reference's rules write them) become `https:` in events; HTCP names every URL `http:`, as
 * the reference did.
 */
export interface PurgeRequest {
  body: unknown
  /** The triggering event, for the request id, root event and deterministic ids. */
  event: ChangeEvent
  chain: string
}

export interface PurgeModuleDeps {
  /** The stream purge events go to; undefined: HTCP only. */
  stream: string | undefined
  htcp: HtcpSender | undefined
  now?: () => number
}

export function createPurgeModule (deps: PurgeModuleDeps): (request: PurgeRequest) => Promise<ModuleOutcome> {
  const now = deps.now ?? Date.now
  return async (request) => {
    const items = Array.isArray(request.body) ? request.body : [request.body]
    const uris: string[] = []
    for (const [index, item] of items.entries()) {
      const uri = isChangeEvent(item) ? item.meta.uri : undefined
      if (typeof uri !== 'string' || !/^(?:https?:)?\/\/[^/]+/.test(uri)) {
        return { kind: 'failed', result: { kind: 'render-failed', error: new TemplateRenderError(`/sys/purge/: item ${index} has no meta.uri of the form //host/path or http(s)://host/path`) } }
      }
      uris.push(uri)
    }
    if (deps.htcp !== undefined) {
      try {
        await deps.htcp.purge(uris.map((uri) => withScheme(uri, 'http:')))
      } catch (err) {
        // A datagram the kernel refused (no route, buffer full) is retried like a failed produce.
        return { kind: 'failed', result: { kind: 'produce-failed', error: err instanceof Error ? err : new Error(String(err)) } }
      }
    }
    const records: ModuleRecord[] = []
    if (deps.stream !== undefined) {
      const { stream } = deps
      const dt = new Date(now()).toISOString()
      const sourceId = typeof request.event.meta.id === 'string' ? request.event.meta.id : randomUUID()
      const root = request.event.root_event
      for (const uri of uris) {
        const absolute = uri.startsWith('//') ? `https:${uri}` : uri
        records.push({
          stream,
          event: {
            $schema: '/resource_change/1.0.0',
            meta: { stream, uri: absolute, id: stableId(sourceId, 'purge', absolute), dt, domain: new URL(absolute).host, ...(request.event.meta.request_id === undefined ? {} : { request_id: request.event.meta.request_id }) },
            triggered_by: request.chain,
            tags: ['changeprop', 'purge'],
            root_event: root !== null && typeof root === 'object' ? root : { signature: request.event.meta.uri, dt: request.event.meta.dt }
          }
        })
      }
    }
    return { kind: 'produce', records, stats: { module: 'purge', purges: uris.length } }
  }
}

/** HTCP names every URL with `http:`, whatever scheme the cached object was fetched with. */
function withScheme (uri: string, scheme: 'http:'): string {
  if (uri.startsWith('//')) return `${scheme}${uri}`
  return uri.replace(/^https?:/, scheme)
}
