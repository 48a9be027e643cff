import type { StreamConfigData } from '../stream-config/index.js'
import { streamTopics } from '../stream-config/index.js'

/** One name a client can ask for: a stream of the stream config, or an alias of one. */
export interface ServedStream {
  name: string
  /** The Kafka topics, in the order they are assigned (and appear in ids). */
  topics: string[]
  description: string
  schemaTitle?: string
  /** The stream this name is an alias of. */
  aliasOf?: string
}

export interface CatalogOptions {
  /** Settings each stream gets unless it has its own (EventStreams' `stream_config_defaults`). */
  defaults: Readonly<Record<string, unknown>>
  allowed?: readonly string[]
  aliases: Readonly<Record<string, readonly string[]>>
}

/**
 * What the stream service serves, as EventStreams builds it from the stream config: regex
 * entries are left out, `allowed_streams` applies, a stream's topics are its `topics`, else
 * each of `topic_prefixes` before its name, else its name alone (EventStreamConfig's rule);
 * every alias serves its stream's topics. Sorted by name.
 */
export function buildCatalog (data: StreamConfigData, options: CatalogOptions): Map<string, ServedStream> {
  const allowed = options.allowed === undefined ? undefined : new Set(options.allowed)
  const served: ServedStream[] = []
  for (const [name, raw] of Object.entries(data)) {
    if (name.startsWith('/') || (allowed !== undefined && !allowed.has(name))) continue
    const settings = { ...options.defaults, ...(isObject(raw) ? raw : {}) }
    const stream: ServedStream = { name, topics: streamTopics(name, settings), description: descriptionOf(name, settings) }
    if (typeof settings.schema_title === 'string') stream.schemaTitle = settings.schema_title
    served.push(stream)
    for (const alias of options.aliases[name] ?? []) {
      served.push({ ...stream, name: alias, aliasOf: name, description: `${stream.description} (alias of ${name})` })
    }
  }
  served.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return new Map(served.map((s) => [s.name, s]))
}

function descriptionOf (name: string, settings: Record<string, unknown>): string {
  return typeof settings.description === 'string' && settings.description !== '' ? settings.description : `${name} events.`
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * The topics of the requested names, each once, in request order; the names that are not
 * served are returned instead when there are any.
 */
export function topicsOfRequest (catalog: ReadonlyMap<string, ServedStream>, names: readonly string[]): { topics: string[], streams: ServedStream[] } | { unknown: string[] } {
  const unknown = names.filter((n) => !catalog.has(n))
  if (unknown.length > 0) return { unknown }
  const streams = names.map((n) => catalog.get(n)!)
  return { topics: [...new Set(streams.flatMap((s) => s.topics))], streams }
}
