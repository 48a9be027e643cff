import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** MediaWiki's `action=streamconfigs&all_settings=true` answer (test/fixtures/stream-config/README.md). */
export function mediawikiStreamConfigs (): { streams: Record<string, unknown> } {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/stream-config/mediawiki-streamconfigs.json', import.meta.url)), 'utf8')) as { streams: Record<string, unknown> }
}

export interface MediawikiApi {
  /** The API endpoint, `http://127.0.0.1:<port>/w/api.php?action=streamconfigs&format=json&all_settings=true`. */
  url: string
  /** The declared streams (`$wgEventStreams` after the defaults): change it to declare a new stream. */
  streams: Record<string, unknown>
  /** Every request answered: its `streams` parameter (undefined: all) and its Host header. */
  requests: Array<{ streams: string | undefined, host: string | undefined }>
  /** The next this-many requests answer 503, as an overloaded appserver does. */
  failNext: number
  close(): Promise<void>
}

/**
 * A local HTTP server answering like MediaWiki's EventStreamConfig API on an internal endpoint:
 * only for requests naming the wiki in `Host` (others get the 404 of an unknown virtual host),
 * `streams=a|b` answered by name, exact first then the first matching regex (keyed by the
 * requested name, `stream` keeping the regex), unknown names left out, all with HTTP 200.
 */
export async function startMediawikiApi (options: { host?: string, streams?: Record<string, unknown> } = {}): Promise<MediawikiApi> {
  const host = options.host ?? 'meta.wikimedia.org'
  const api: Omit<MediawikiApi, 'url' | 'close'> = { streams: options.streams ?? mediawikiStreamConfigs().streams, requests: [], failNext: 0 }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const requested = url.searchParams.get('streams') ?? undefined
    api.requests.push({ streams: requested, host: req.headers.host })
    if (req.headers.host !== host) {
      res.statusCode = 404
      res.end('<!DOCTYPE html><title>Domain not configured</title>')
      return
    }
    if (api.failNext > 0) {
      api.failNext--
      res.statusCode = 503
      res.end('<!DOCTYPE html><title>Wikimedia Error</title>')
      return
    }
    if (url.pathname !== '/w/api.php' || url.searchParams.get('action') !== 'streamconfigs') {
      res.setHeader('content-type', 'application/json; charset=utf-8')
      res.end(JSON.stringify({ error: { code: 'badvalue', info: 'Unrecognized value for parameter "action".' } }))
      return
    }
    res.setHeader('content-type', 'application/json; charset=utf-8')
    res.end(JSON.stringify({ batchcomplete: true, streams: requested === undefined ? api.streams : select(api.streams, requested.split('|')) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}/w/api.php?action=streamconfigs&format=json&all_settings=true`,
    close: async () => { await new Promise<void>((resolve) => server.close(() => { resolve() })) }
  })
}

function select (streams: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of names) {
    if (Object.hasOwn(streams, name)) {
      out[name] = streams[name]
      continue
    }
    const regex = Object.keys(streams).find((key) => key.length > 2 && key.startsWith('/') && key.endsWith('/') && new RegExp(key.slice(1, -1)).test(name))
    if (regex !== undefined) out[name] = { ...(streams[regex] as Record<string, unknown>), topics: [`eqiad.${name}`, `codfw.${name}`] }
  }
  return out
}
