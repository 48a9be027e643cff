import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { createHttpService, serviceHeaders } from '../service/index.js'
import type { HeaderSettings, ReadinessCheck, ServiceInfo } from '../service/index.js'
import type { Logger } from '../logger.js'
import type { PageRouteDeps } from './routes/pages.js'
import { pageRoutes } from './routes/pages.js'
import type { StreamRouteDeps } from './routes/stream.js'
import { streamRoute } from './routes/stream.js'

export interface StreamsAppDeps {
  logger: Logger
  registry: Registry
  readiness: readonly ReadinessCheck[]
  info: ServiceInfo
  cors: string | false
  stream: Omit<StreamRouteDeps, 'headers'>
  pages: PageRouteDeps
}

// EventStreams allows accept, x-requested-with and content-type; Last-Event-ID is added so a
// fetch-based browser client can resume across origins.
const corsAllowHeaders = 'accept, x-requested-with, content-type, last-event-id'
const contentSecurityPolicy = "default-src 'self'; object-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'self'; frame-ancestors 'self'"

function headerSettings (cors: string | false): HeaderSettings {
  return { cors, methods: 'GET, OPTIONS', allowHeaders: corsAllowHeaders, exposeHeaders: 'etag, retry-after', contentSecurityPolicy }
}

/** The headers every response carries, streams included (they bypass Fastify's hooks). */
export function commonHeaders (cors: string | false): Readonly<Record<string, string>> {
  return serviceHeaders(headerSettings(cors))
}

/** Builds the stream service's Fastify instance without listening. */
export function buildStreamsApp (deps: StreamsAppDeps): FastifyInstance {
  const app = createHttpService({
    logger: deps.logger,
    headers: headerSettings(deps.cors),
    admin: { registry: deps.registry, readiness: deps.readiness, info: deps.info }
  })
  void app.register(streamRoute({ ...deps.stream, headers: commonHeaders(deps.cors) }))
  void app.register(pageRoutes(deps.pages))
  return app
}
