import { randomUUID } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { createHttpService } from '../service/index.js'
import type { ReadinessCheck, ServiceInfo } from '../service/index.js'
import type { Logger } from '../logger.js'
import type { GatewayMetrics } from '../metrics/gateway.js'
import type { StreamIndex } from '../stream-config/index.js'
import type { BackgroundTasks } from './background.js'
import type { BeaconSettings } from './beacon.js'
import type { CloudEventsSettings } from './cloudevents.js'
import { createClientErrorHandler } from './client-error.js'
import { registerEventParsers } from './content-types.js'
import { RequestTooLargeError, UnsupportedMediaTypeError } from './errors.js'
import type { PipelineDeps } from './pipeline/index.js'
import { beaconRoutes } from './routes/beacon.js'
import { eventRoutes } from './routes/events.js'
import { specRoute } from './routes/spec.js'
import { streamRoutes } from './routes/streams.js'
import { createTurnEnd } from './turn-end.js'

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
  const app = createHttpService({
    logger: deps.logger,
    server: {
      bodyLimit: deps.bodyLimit,
      requestIdHeader: 'x-request-id',
      genReqId: () => randomUUID(),
      // A body that trickles in or stops short of its Content-Length would otherwise hold the
      // connection and a parser for minutes. Node checks the deadline every
      // connectionsCheckingInterval (30 s by default), so that is shortened to a fraction of it.
      requestTimeout: deps.requestTimeoutMs,
      http: {
        headersTimeout: Math.min(deps.requestTimeoutMs, 60000),
        connectionsCheckingInterval: Math.min(30000, Math.max(50, Math.floor(deps.requestTimeoutMs / 4)))
      },
      clientErrorHandler: createClientErrorHandler(deps.logger, deps.requestTimeoutMs)
    },
    headers: { cors: deps.cors, methods: 'GET, POST, OPTIONS', allowHeaders: corsAllowHeaders, exposeHeaders: 'etag, retry-after, content-location', contentSecurityPolicy },
    admin: { registry: deps.registry, readiness: deps.readiness, info: deps.info },
    reload: deps.reload,
    problemOf: (err, request) => {
      switch ((err as Partial<FastifyError>).code) {
        case 'FST_ERR_CTP_BODY_TOO_LARGE': return new RequestTooLargeError(deps.bodyLimit)
        case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new UnsupportedMediaTypeError(String(request.headers['content-type'] ?? ''))
      }
      return undefined
    }
  })

  registerEventParsers(app, { bodyLimit: deps.bodyLimit, maxEventDepth: deps.maxEventDepth })

  // Callback style: it runs for every request, and spares a promise each.
  app.addHook('onResponse', (request, reply, done) => {
    deps.metrics.requestDuration.observe({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status_code: String(reply.statusCode)
    }, reply.elapsedTime / 1000)
    done()
  })

  // Hasty and beacon answers leave together at the end of the turn that read them.
  const turnEnd = createTurnEnd()
  void app.register(eventRoutes({
    pipeline: deps.pipeline,
    background: deps.background,
    metrics: deps.metrics,
    maxEventsPerRequest: deps.maxEventsPerRequest,
    testEvents: deps.testEvents,
    cloudEvents: deps.cloudEvents,
    turnEnd
  }))
  void app.register(beaconRoutes({ pipeline: deps.pipeline, background: deps.background, metrics: deps.metrics, settings: deps.beacon, turnEnd }))
  void app.register(streamRoutes(deps.streams))
  void app.register(specRoute(deps.info.version))
  if (deps.schemaRoutes !== undefined) void app.register(deps.schemaRoutes)
  return app
}
