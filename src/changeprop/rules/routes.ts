/**
 * The in-process routes an exec request may name instead of an HTTP URI, as in Wikimedia
 * Change Propagation, where rules call its modules by path:
 *
 * - `/sys/queue/events`: produce the body's events to Kafka;
 * - `/sys/links/backlinks/{title}`, `/sys/links/transcludes/{title}`,
 *   `/sys/links/wikidata_descriptions`: walk a page's dependants through the MediaWiki
 *   Action API, one page of results per event (modules/links.ts);
 * - `/sys/purge/`: CDN purge of the body's URIs (modules/purge.ts);
 * - `/sys/partition/`: re-produce the body's event into its partition (modules/partition.ts).
 *
 * `/sys/ores/` is refused: ORES is retired. Any other `/sys/` path is refused too.
 */
export type ExecModule = 'http' | 'queue' | 'backlinks' | 'transcludes' | 'wikidata_descriptions' | 'purge' | 'partition'

/** The fan-out modules of `/sys/links/`. */
export type LinksModule = 'backlinks' | 'transcludes' | 'wikidata_descriptions'

export const linksModules: readonly LinksModule[] = ['backlinks', 'transcludes', 'wikidata_descriptions']

/** The route that produces events instead of calling HTTP. */
export const produceRoute = '/sys/queue/events'

export const oresRetired = 'ORES is retired; Lift Wing, Wikimedia\'s machine-learning inference service, replaced it: ' +
  'call a Lift Wing model\'s :predict endpoint with an HTTP exec, or drop the rule'

/** A route the rule may not use, with the reason. */
export class RouteRefused extends Error {}

/**
 * The module a request's `uri` template names, judged on its literal start (templates follow
 * the fixed prefix, as `/sys/links/transcludes/{message.page_title}`). `undefined` for a URI
 * that is not an in-process route.
 */
export function moduleOfUri (uri: string): ExecModule | undefined {
  if (!uri.startsWith('/')) return undefined
  if (uri === produceRoute) return 'queue'
  if (uri === '/sys/purge' || uri === '/sys/purge/') return 'purge'
  if (uri === '/sys/partition' || uri === '/sys/partition/') return 'partition'
  if (uri === '/sys/links/wikidata_descriptions' || uri === '/sys/links/wikidata_descriptions/') return 'wikidata_descriptions'
  if (uri.startsWith('/sys/links/backlinks/') && uri.length > '/sys/links/backlinks/'.length) return 'backlinks'
  if (uri.startsWith('/sys/links/transcludes/') && uri.length > '/sys/links/transcludes/'.length) return 'transcludes'
  if (uri.startsWith('/sys/ores')) throw new RouteRefused(`'${uri}' is not supported: ${oresRetired}`)
  throw new RouteRefused(`'${uri}' is not a known in-process route; use an absolute http(s) URI, ${produceRoute}, ` +
    '/sys/links/backlinks/{title}, /sys/links/transcludes/{title}, /sys/links/wikidata_descriptions, /sys/purge/ or /sys/partition/')
}

/** The page title a rendered `/sys/links/<module>/<title>` URI names (percent-decoded), or undefined. */
export function titleOfLinksUri (module: LinksModule, rendered: string): string | undefined {
  const prefix = `/sys/links/${module}/`
  if (!rendered.startsWith(prefix)) return undefined
  const encoded = rendered.slice(prefix.length)
  if (encoded === '') return undefined
  try {
    return decodeURIComponent(encoded)
  } catch {
    return encoded
  }
}
