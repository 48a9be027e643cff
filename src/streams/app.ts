import Fastify, { LogController } from 'fastify'
import { lazyRequestLogger } from '../service/request-logger.js'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { adminRoutes } from '../service/admin-routes.js'
import type { ReadinessCheck } from '../service/admin-routes.js'
import type { ServiceInfo } from '../service/info.js'
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

/** The headers every response carries, streams included (they bypass Fastify's hooks). */
export function commonHeaders (cors: string | false): Record<string, string> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'content-security-policy': contentSecurityPolicy
  }
  if (cors !== false) {
    headers['access-control-allow-origin'] = cors
    headers['access-control-allow-headers'] = corsAllowHeaders
    headers['access-control-allow-methods'] = 'GET, OPTIONS'
    headers['access-control-expose-headers'] = 'etag, retry-after'
  }
  return headers
}

/** Builds the stream service's Fastify instance without listening. */
export function buildStreamsApp (deps: StreamsAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Streams log their own connect and disconnect lines; per-request lines would repeat them.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    childLoggerFactory: lazyRequestLogger,
    return503OnClosing: true,
    forceCloseConnections: 'idle'
  })
  const headers = commonHeaders(deps.cors)
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!reply.hasHeader(name)) void reply.header(name, value)
    }
    return payload
  })
  app.options('/*', async (_request, reply) => reply.header('allow', 'GET, OPTIONS').code(204).send())
  void app.register(streamRoute({ ...deps.stream, headers }))
  void app.register(pageRoutes(deps.pages))
  void app.register(adminRoutes({ registry: deps.registry, readiness: deps.readiness, info: deps.info }))
  return app
}
