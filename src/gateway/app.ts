import { randomUUID } from 'node:crypto'
import Fastify, { LogController } from 'fastify'
import { lazyRequestLogger } from '../service/request-logger.js'
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { adminRoutes } from '../service/admin-routes.js'
import type { ReadinessCheck } from '../service/admin-routes.js'
import type { ServiceInfo } from '../service/info.js'
import type { Logger } from '../logger.js'
import type { GatewayMetrics } from '../metrics/gateway.js'
import type { StreamIndex } from '../stream-config/index.js'
import type { BackgroundTasks } from './background.js'
import type { BeaconSettings } from './beacon.js'
import type { CloudEventsSettings } from './cloudevents.js'
import { createClientErrorHandler } from './client-error.js'
import { registerEventParsers } from './content-types.js'
import { RouteNotFoundError } from './errors.js'
import { sendProblem, toSluiceError } from './error-handler.js'
import type { PipelineDeps } from './pipeline/index.js'
import { beaconRoutes } from './routes/beacon.js'
import { eventRoutes } from './routes/events.js'
import { specRoute } from './routes/spec.js'
import { streamRoutes } from './routes/streams.js'

export interface GatewayAppDeps {
  logger: Logger
  registry: Registry
  metrics: GatewayMetrics
  pipeline: PipelineDeps
  background: BackgroundTasks
  streams: () => StreamIndex | undefined
  readiness: readonly ReadinessCheck[]
  info: ServiceInfo
  bodyLimit: number
  maxEventDepth: number
  /** Milliseconds from the first byte until the whole request (headers and body) has arrived. */
  requestTimeoutMs: number
  maxEventsPerRequest: number
  testEvents: unknown
  cors: string | false
  /** POST /admin/reload: re-read the stream config and the git schema repository. */
  reload: () => Promise<{ streams: boolean, schemas: boolean }>
  /** Where a CloudEvent's schema and stream come from. */
  cloudEvents: CloudEventsSettings
  /** EventLogging's beacon intake. */
  beacon: BeaconSettings
  /** GET /schemas/… (the schema registry), when the gateway serves a local repository. */
  schemaRoutes?: FastifyPluginAsync
}

const corsAllowHeaders = 'accept, x-requested-with, content-type, content-encoding, x-request-id'
const contentSecurityPolicy = "default-src 'self'; object-src 'none'; media-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'self'; frame-ancestors 'self'"

/** Builds the gateway's Fastify instance without listening (tests call `inject()` on it). */
export function buildGatewayApp (deps: GatewayAppDeps): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra generics.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request log lines cost more than the request at 10k/s; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: deps.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A body that trickles in or stops short of its Content-Length would otherwise hold the
    // connection and a parser for minutes. Node checks the deadline every
    // connectionsCheckingInterval (30 s by default), so that is shortened to a fraction of it.
    requestTimeout: deps.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(deps.requestTimeoutMs, 60000),
      connectionsCheckingInterval: Math.min(30000, Math.max(50, Math.floor(deps.requestTimeoutMs / 4)))
    },
    clientErrorHandler: createClientErrorHandler(deps.logger, deps.requestTimeoutMs)
  })

  registerEventParsers(app, { bodyLimit: deps.bodyLimit, maxEventDepth: deps.maxEventDepth })

  // Defaults for every response; a route that sets its own (the registry's HTML pages) keeps them.
  const defaultHeaders: Array<[string, string]> = [
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'SAMEORIGIN'],
    ['content-security-policy', contentSecurityPolicy]
  ]
  if (deps.cors !== false) {
    defaultHeaders.push(
      ['access-control-allow-origin', deps.cors],
      ['access-control-allow-headers', corsAllowHeaders],
      ['access-control-allow-methods', 'GET, POST, OPTIONS'],
      ['access-control-expose-headers', 'etag, retry-after, content-location']
    )
  }
  // Both hooks run for every request: callback style spares a promise each.
  app.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of defaultHeaders) {
      if (!reply.hasHeader(name)) void reply.header(name, value)
    }
    done(null, payload)
  })

  app.addHook('onResponse', (request, reply, done) => {
    deps.metrics.requestDuration.observe({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status_code: String(reply.statusCode)
    }, reply.elapsedTime / 1000)
    done()
  })

  app.setErrorHandler((err, request, reply) => sendProblem(reply, request, toSluiceError(err, request, deps.bodyLimit)))
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new RouteNotFoundError(request.method, request.url)))

  // CORS preflight for browsers (and Chrome's Network Error Logging).
  app.options('/*', async (_request, reply) => reply.header('allow', 'GET, POST, OPTIONS').code(204).send())

  void app.register(eventRoutes({
    pipeline: deps.pipeline,
    background: deps.background,
    metrics: deps.metrics,
    maxEventsPerRequest: deps.maxEventsPerRequest,
    testEvents: deps.testEvents,
    cloudEvents: deps.cloudEvents
  }))
  void app.register(beaconRoutes({ pipeline: deps.pipeline, background: deps.background, metrics: deps.metrics, settings: deps.beacon }))
  void app.register(streamRoutes(deps.streams))
  void app.register(specRoute(deps.info.version))
  void app.register(adminRoutes({ registry: deps.registry, readiness: deps.readiness, info: deps.info }))
  // The same as SIGHUP, for environments where signalling the process is awkward. A failed
  // reload keeps the last good state, so the answer says what was reloaded (503 if not all).
  app.post('/admin/reload', async (_request, reply) => {
    const result = await deps.reload()
    return reply.code(result.streams && result.schemas ? 200 : 503).send(result)
  })
  if (deps.schemaRoutes !== undefined) void app.register(deps.schemaRoutes)
  return app
}
