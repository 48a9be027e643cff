import type { ServerOptions as HttpServerOptions } from 'node:http'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Logger } from '../logger.js'
import { adminRoutes } from './admin-routes.js'
import type { AdminRoutesOptions } from './admin-routes.js'
import { RouteNotFoundError } from './errors.js'
import { serviceHeaders } from './headers.js'
import type { HeaderSettings } from './headers.js'
import { sendProblem, toSluiceError } from './problem.js'
import type { ProblemOf } from './problem.js'
import { lazyRequestLogger } from './request-logger.js'

/** The Fastify options a service adds to the shared ones: its body limit, request timeouts, client error handler. */
export type ServerOptions = Pick<FastifyServerOptions, 'bodyLimit' | 'requestIdHeader' | 'genReqId' | 'requestTimeout' | 'clientErrorHandler'> & { http?: HttpServerOptions }

export interface HttpServiceOptions {
  logger: Logger
  server?: ServerOptions
  headers: HeaderSettings
  /** /healthz, /readyz, /metrics and /_info. */
  admin: AdminRoutesOptions
  /**
   * POST /admin/reload: the same as SIGHUP, for environments where signalling the process is
   * awkward. It answers what was reloaded, 503 unless all of it was (the last good state stays).
   */
  reload?: () => Promise<Record<string, boolean>>
  /** The service's own reading of Fastify's errors; the rest are read alike by every service. */
  problemOf?: ProblemOf
}

/**
 * The Fastify instance every HTTP service of Sluice starts from, not listening yet (tests call
 * `inject()` on it): the logger without per-request lines (metrics count requests; a child
 * logger is made only for a request that logs), 503 while closing, the default headers on every
 * response, the CORS preflight, problem-shaped answers with a stable code for errors, unknown
 * routes and requests Fastify refuses before routing, and the admin routes. The service adds its own parsers, hooks and routes.
 */
export function createHttpService (options: HttpServiceOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request log lines cost more than the request at 10k/s, and streams log their own
    // connect and disconnect lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    childLoggerFactory: lazyRequestLogger,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // What Fastify refuses before routing (a malformed URL) answers like any other error.
    frameworkErrors: (err, request, reply) => { void sendProblem(reply, request, toSluiceError(err, request, options.problemOf)) },
    ...options.server
  })

  // Defaults for every response; a route that sets its own (the registry's HTML pages) keeps them.
  // Callback style: the hook runs for every request, and spares a promise each.
  const defaults = Object.entries(serviceHeaders(options.headers))
  app.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of defaults) {
      if (!reply.hasHeader(name)) void reply.header(name, value)
    }
    done(null, payload)
  })

  app.setErrorHandler((err, request, reply) => sendProblem(reply, request, toSluiceError(err, request, options.problemOf)))
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new RouteNotFoundError(request.method, request.url)))

  // CORS preflight for browsers (and Chrome's Network Error Logging).
  app.options('/*', async (_request, reply) => reply.header('allow', options.headers.methods).code(204).send())

  void app.register(adminRoutes(options.admin))
  const reload = options.reload
  if (reload !== undefined) {
    app.post('/admin/reload', async (_request, reply) => {
      const result = await reload()
      return reply.code(Object.values(result).every(Boolean) ? 200 : 503).send(result)
    })
  }
  return app
}
