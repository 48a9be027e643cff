import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isSluiceError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { StreamsMetrics, RejectReason } from '../../metrics/streams.js'
import { AtCapacityError, ClientIpMissingError, StreamRequestError, StreamsKafkaUnavailableError, TooManyConnectionsError } from '../errors.js'
import type { ConnectionSlots } from '../ip-limit.js'
import { deadlineIn, valueBefore } from '../../deadline.js'
import { waitForKafka } from '../kafka-wait.js'
import type { CheckedRequest, PlanDeps, StreamPlan } from '../plan.js'
import { checkStreamRequest, resolvePlan } from '../plan.js'
import type { Session, SessionDeps, WireFormat } from '../session.js'
import { startSession } from '../session.js'

export interface StreamRouteDeps {
  plan: PlanDeps
  session: SessionDeps
  slots: ConnectionSlots
  metrics: StreamsMetrics
  logger: Logger
  /** Open sessions, ended by the service's close. */
  sessions: Set<Session>
  ipLimit: { limit: number | undefined, overrides: Readonly<Record<string, number>>, retryAfterSeconds: number }
  maxConnections: number
  /** A stream opened while Kafka does not answer waits this long for it (`kafka_unavailable_wait_ms`). */
  kafkaWaitMs: number
  /** Response headers every stream carries (CORS, nosniff). */
  headers: Readonly<Record<string, string>>
}

/** How often a stream waiting for Kafka looks at the reader's readiness. */
const kafkaPollMs = 500
/** How long the Kafka checks of a new stream may take before it is accepted and waits for them. */
const firstAttemptMs = 1000

/**
 * GET /v2/stream/{streams}: EventStreams' route. The checks run in its order (client IP, the
 * IP's connection count, streams, since, Last-Event-ID, topics) and answer before any stream
 * byte; then the response is taken over from Fastify and written by the session until either
 * side ends it.
 *
 * While Kafka does not answer, the stream is accepted all the same (200, `:ok`, heartbeats) and
 * starts when Kafka answers: a browser's EventSource gives up for good on any answer but 200,
 * so a 503 would lose every browser client that reconnects during an outage. The checks that
 * need Kafka then come later, as an `event: error` and the end.
 */
export function streamRoute (deps: StreamRouteDeps) {
  return async function (app: FastifyInstance): Promise<void> {
    const handler = async (request: FastifyRequest<{ Params: { streams: string }, Querystring: Record<string, unknown> }>, reply: FastifyReply): Promise<void> => {
      let release: (() => void) | undefined
      try {
        release = await takeSlot(request, deps)
        const checked = await checkStreamRequest({ streams: request.params.streams, query: request.query, lastEventId: header(request, 'last-event-id') }, deps.plan)
        const waiting = new AbortController()
        const planned = await planNowOrLater(checked, deps, waiting.signal)
        const format = wireFormat(request.headers.accept)
        reply.hijack()
        reply.raw.writeHead(200, { ...deps.headers, 'content-type': contentType(request.headers.accept, format), 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
        const session = startSession(planned.plan ?? planned.later, reply.raw, format, deps.session)
        void session.ended.then(() => { waiting.abort() })
        track(session, checked.streams.map((s) => s.name), request, release, deps)
        release = undefined
      } catch (err) {
        release?.()
        sendRefusal(reply, request, err, deps)
      }
    }
    app.get('/v2/stream/:streams', handler)
    app.get('/v2/stream/:streams/', handler)
  }
}

/**
 * The plan at once when Kafka answers within firstAttemptMs; a refusal is thrown (answered
 * before any stream byte). When Kafka does not answer (or not yet), the plan comes later.
 */
async function planNowOrLater (checked: CheckedRequest, deps: StreamRouteDeps, signal: AbortSignal): Promise<{ plan: StreamPlan, later?: undefined } | { plan?: undefined, later: Promise<StreamPlan> }> {
  const attempt = async (): Promise<StreamPlan> => resolvePlan(checked, deps.plan)
  const first = attempt()
  let failed = false
  try {
    const settled = await valueBefore(first, deadlineIn(firstAttemptMs))
    if (settled !== undefined) return { plan: settled.value }
  } catch (err) {
    if (err instanceof StreamRequestError) throw err
    failed = true
    deps.logger.warn({ err }, 'Kafka did not answer while a stream was opened; it starts when Kafka does')
  }
  return { later: waitForKafka(attempt, { reader: deps.plan.reader, waitMs: deps.kafkaWaitMs, pollMs: kafkaPollMs, signal, pending: failed ? undefined : first }) }
}

async function takeSlot (request: FastifyRequest, deps: StreamRouteDeps): Promise<(() => void) | undefined> {
  const { limit, overrides, retryAfterSeconds } = deps.ipLimit
  if (limit === undefined) {
    if (deps.sessions.size >= deps.maxConnections) throw new AtCapacityError(deps.maxConnections)
    return undefined
  }
  const ip = header(request, 'x-client-ip')
  if (ip === undefined || ip === '') throw new ClientIpMissingError()
  if (deps.sessions.size >= deps.maxConnections) throw new AtCapacityError(deps.maxConnections)
  const release = await deps.slots.acquire(ip, overrides[ip] ?? limit)
  if (release === undefined) throw new TooManyConnectionsError(retryAfterSeconds)
  return release
}

function track (session: Session, names: string[], request: FastifyRequest, release: (() => void) | undefined, deps: StreamRouteDeps): void {
  const { metrics, sessions } = deps
  sessions.add(session)
  for (const stream of names) metrics.connectedClients.inc({ stream })
  metrics.connections.inc({ streams: [...names].sort().join(',') })
  const who = { client_ip: header(request, 'x-client-ip') ?? request.ip, user_agent: request.headers['user-agent'], streams: names, request_id: request.id }
  deps.logger.info(who, 'stream connected')
  void session.ended.then((reason) => {
    sessions.delete(session)
    release?.()
    for (const stream of names) metrics.connectedClients.dec({ stream })
    metrics.disconnects.inc({ reason })
    deps.logger.info({ ...who, reason }, 'stream disconnected')
  })
}

/** EventStreams: a value starting with application/json is NDJSON; anything else (or none) is SSE. */
export function wireFormat (accept: string | undefined): WireFormat {
  return accept !== undefined && accept.trimStart().toLowerCase().startsWith('application/json') ? 'ndjson' : 'sse'
}

function contentType (accept: string | undefined, format: WireFormat): string {
  if (format === 'ndjson') return 'application/json; charset=utf-8'
  return accept === undefined ? 'text/event-stream' : 'text/event-stream; charset=utf-8'
}

function header (request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const reasons: Record<string, RejectReason> = {
  SLUICE_ERR_STREAMS_CLIENT_IP_MISSING: 'missing_client_ip',
  SLUICE_ERR_STREAMS_TOO_MANY_CONNECTIONS: 'ip_limit',
  SLUICE_ERR_STREAMS_NOT_FOUND: 'not_found',
  SLUICE_ERR_STREAMS_TOPIC_NOT_AVAILABLE: 'not_found',
  SLUICE_ERR_STREAMS_AT_CAPACITY: 'capacity',
  SLUICE_ERR_KAFKA_UNAVAILABLE: 'unavailable',
  SLUICE_ERR_STREAMS_NO_TOPICS: 'unavailable'
}

function sendRefusal (reply: FastifyReply, request: FastifyRequest, err: unknown, deps: StreamRouteDeps): void {
  const refusal = asRefusal(err, deps.logger)
  deps.metrics.rejected.inc({ reason: reasons[refusal.code] ?? 'bad_request' })
  if (refusal.retryAfter !== undefined) void reply.header('retry-after', String(refusal.retryAfter))
  const level = refusal.statusCode >= 500 ? 'error' : 'info'
  deps.logger[level]({ code: refusal.code, status: refusal.statusCode, url: request.url }, refusal.message)
  void reply.code(refusal.statusCode).headers(deps.headers).type('application/json; charset=utf-8').send(refusal.body({ method: request.method, uri: request.url }))
}

function asRefusal (err: unknown, logger: Logger): StreamRequestError {
  if (err instanceof StreamRequestError) return err
  if (isSluiceError(err) && err.code === 'SLUICE_ERR_KAFKA_UNAVAILABLE') return new StreamsKafkaUnavailableError(err.message)
  logger.error({ err }, 'stream request failed')
  return new StreamsKafkaUnavailableError('The stream could not be opened; try again shortly.')
}
