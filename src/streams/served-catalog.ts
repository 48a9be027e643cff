import type { AsyncApiDocument } from '../asyncapi/index.js'
import { createStreamConfigReload } from '../service/index.js'
import type { ServiceContext } from '../service/index.js'
import type { StreamConfigData } from '../stream-config/index.js'
import { createStreamConfigLoader, declaredByRegex, streamConfigLoaderOptions } from '../stream-config/index.js'
import { asyncApiDescriber } from './asyncapi.js'
import { buildCatalog, topicsOf } from './catalog.js'
import type { ServedStream } from './catalog.js'
import type { StreamsConfig } from './config.js'

/** The names the service serves and the AsyncAPI document, as last made from the stream config. */
export interface ServedCatalog {
  catalog(): Map<string, ServedStream>
  asyncapi(): AsyncApiDocument | undefined
  /** Adds the names the source knows that were declared after the last load; undefined when the source cannot. */
  fetchUnknown: ((names: readonly string[]) => Promise<void>) | undefined
  /** Re-reads the stream config; the last good one stays on failure. */
  reload(): Promise<boolean>
  /** Stops the re-reads. */
  stop(): void
}

/**
 * Loads the stream config and starts its re-reads every `stream_config_ttl`. The catalog of
 * served names and the AsyncAPI document are made together from one read; the schema repository
 * is read again too, so versions published since are in the document.
 */
export async function startServedCatalog (config: Readonly<StreamsConfig>, context: ServiceContext): Promise<ServedCatalog> {
  const { logger } = context
  const loader = createStreamConfigLoader(streamConfigLoaderOptions(config.stream_config_uri, config, { cwd: context.cwd, dispatcher: context.dispatcher, timeoutMs: config.stream_config_fetch_timeout_ms, logger }))
  const toCatalog = (data: StreamConfigData): Map<string, ServedStream> => buildCatalog(data, {
    defaults: config.stream_config_defaults,
    allowed: config.allowed_streams,
    aliases: config.stream_aliases,
    legacyTopicsHome: config.legacy_topics_home
  })
  const describe = await asyncApiDescriber(config, context, (name, settings) => topicsOf(name, settings, { defaults: config.stream_config_defaults, aliases: {}, legacyTopicsHome: config.legacy_topics_home }))
  let catalog = new Map<string, ServedStream>()
  let asyncapi: AsyncApiDocument | undefined
  const streams = createStreamConfigReload({
    load: async () => {
      const data = (await loader.load()).all()
      const next = toCatalog(data)
      if (next.size === 0) throw new Error(`the stream config ${config.stream_config_uri} has no stream to serve (regex entries are not served; check allowed_streams)`)
      return { catalog: next, asyncapi: await describe(data) }
    },
    apply: (view) => {
      catalog = view.catalog
      asyncapi = view.asyncapi
    },
    ttlSeconds: config.stream_config_ttl,
    logger
  })
  await streams.start()
  return {
    catalog: () => catalog,
    asyncapi: () => asyncapi,
    // A stream declared after the last load is served once the source knows it.
    fetchUnknown: loader.fetchUnknown === undefined
      ? undefined
      : async (names) => {
        // Like regex entries at load, a name only a regex declares is not served.
        const found = Object.entries(await loader.fetchUnknown!(names)).filter(([, settings]) => !declaredByRegex(settings))
        const learnt = toCatalog(Object.fromEntries(found))
        if (learnt.size > 0) catalog = new Map([...catalog, ...learnt].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      },
    reload: async () => streams.reload(),
    stop: () => { streams.stop() }
  }
}
