import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BackgroundTasks } from '../background.js'
import { RequestEmptyError, RequestNotEventsError, RequestTooManyEventsError, TestEventsNotConfiguredError } from '../errors.js'
import type { PipelineDeps, ProcessOptions, RequestInfo } from '../pipeline/index.js'
import { processEvents, processHasty, produceErrorEvents } from '../pipeline/index.js'
import { failureReason } from '../pipeline/failure-reason.js'
import { firstHeader } from '../pipeline/enrich.js'
import type { Answer, EventResult } from '../respond.js'
import { hastyReason, respond } from '../respond.js'
import type { GatewayMetrics } from '../../metrics/gateway.js'
import type { Echo } from '../echo.js'
import { eventRequestLevel } from '../../service/log-policy.js'
import { childOf, parseTraceparent } from '../../trace-context.js'
import type { CloudEventsSettings } from '../cloudevents.js'
import { cloudEventsMode } from '../cloudevents.js'
import { intakeCloudEvents } from './cloudevents.js'
import type { TurnEnd } from '../turn-end.js'

export interface EventRoutesOptions {
  pipeline: PipelineDeps
  background: BackgroundTasks
  metrics: GatewayMetrics
  maxEventsPerRequest: number
  testEvents: unknown
  cloudEvents: CloudEventsSettings
  /** The end of the turn, that hasty answers wait for (turn-end.ts). */
  turnEnd: TurnEnd
}

/**
 * `?hasty=true` (or `1`) answers 202 before processing. Unlike EventGate, which treats any
 * non-empty value as hasty, `?hasty=false` and `?hasty=0` are not hasty.
 */
export function isHasty (query: unknown): boolean {
  return queryFlag(query, 'hasty')
}

/**
 * `?validate_only=true` (or `1`) runs every stage but the produce: nothing reaches Kafka and no
 * error events are made. The answers are a real POST's, except that full success is 200 with no
 * body (201 would say something was created). It wins over `hasty`: its point is the answer.
 */
export function isValidateOnly (query: unknown): boolean {
  return queryFlag(query, 'validate_only')
}

/** A boolean query parameter: its last value is `true` or `1`. */
function queryFlag (query: unknown, name: string): boolean {
  const value = (query as Record<string, unknown> | undefined)?.[name]
  const last = Array.isArray(value) ? value[value.length - 1] : value
  return last === 'true' || last === '1'
}

/** EventGate's rules: one object is one event; `{}`, `[]` and no body are "empty". */
export function toEventList (body: unknown, maxEvents: number): unknown[] {
  if (body === undefined) throw new RequestEmptyError()
  if (Array.isArray(body)) {
    if (body.length === 0) throw new RequestEmptyError()
    if (body.length > maxEvents) throw new RequestTooManyEventsError(body.length, maxEvents)
    return body
  }
  if (body !== null && typeof body === 'object') {
    if (Object.keys(body).length === 0) throw new RequestEmptyError()
    return [body]
  }
  throw new RequestNotEventsError(body === null ? 'null' : typeof body)
}

export function requestInfo (request: FastifyRequest): RequestInfo {
  return {
    requestId: String(request.id),
    headers: request.headers,
    remoteAddress: request.socket.remoteAddress,
    query: (request.query ?? {}) as Record<string, unknown>,
    // The caller's trace continues (or a new one starts) with a span of the gateway's own.
    trace: childOf(parseTraceparent(firstHeader(request.headers.traceparent), firstHeader(request.headers.tracestate)))
  }
}

function isServerSideFailure (result: EventResult): boolean {
  return result.status === 'error' && failureReason(result.context.code).side === 'server'
}

/**
 * EventGate's statuses answer 500 for client mistakes too (an unknown schema, an undeclared
 * stream): such answers are counted apart, so that only server trouble pages.
 */
function countClientCaused (metrics: GatewayMetrics, request: FastifyRequest, answer: Answer, results: readonly EventResult[]): void {
  if (answer.statusCode >= 500 && request.method === 'POST' && !results.some(isServerSideFailure)) metrics.clientCausedErrors.inc()
}

export function sendAnswer (reply: FastifyReply, answer: Answer, echo?: Echo): FastifyReply {
  // MediaWiki's EventBus logs the reason phrase; Node only sends it over HTTP/1.x.
  reply.raw.statusMessage = answer.reason
  if (answer.retryAfter !== undefined) void reply.header('retry-after', String(answer.retryAfter))
  void reply.code(answer.statusCode)
  if (answer.body === undefined) return reply.send()
  if (echo === undefined) return reply.send(answer.body)
  // Entries copy their event and what went wrong with it: bounded, so an answer never
  // amplifies its request.
  const { invalid, error } = answer.body
  return reply.send(error === undefined ? { invalid: invalid.map(echo.entry) } : { invalid: invalid.map(echo.entry), error: error.map(echo.entry) })
}

export function eventRoutes (options: EventRoutesOptions) {
  const { pipeline, background, metrics } = options

  async function handle (request: FastifyRequest, reply: FastifyReply, body: unknown, recordHeaders?: ProcessOptions['recordHeaders']): Promise<FastifyReply> {
    const events = toEventList(body, options.maxEventsPerRequest)
    metrics.requestEvents.observe(events.length)
    const info = requestInfo(request)
    if (isValidateOnly(request.query)) {
      const validated = await processEvents(pipeline, events, info, { produce: false, recordHeaders })
      const answer = respond(validated)
      countClientCaused(metrics, request, answer, validated)
      return sendAnswer(reply, answer.statusCode === 201 ? { statusCode: 200, reason: `All ${events.length} out of ${events.length} events are valid.` } : answer, pipeline.echo)
    }
    if (isHasty(request.query)) {
      // Answered once its work is under way: at most hasty_max_pending_events wait in memory,
      // and a client sending faster than Kafka takes them is slowed down, not piled up.
      await background.runWithin('hasty request', async () => processHasty(pipeline, events, info, { recordHeaders }), events.length)
      await options.turnEnd()
      return sendAnswer(reply, { statusCode: 202, reason: hastyReason(events.length) })
    }
    const results = await processEvents(pipeline, events, info, { recordHeaders })
    if (results.some((r) => r.status === 'invalid')) {
      background.run('error events', () => produceErrorEvents(pipeline, results, info))
    }
    const answer = respond(results)
    countClientCaused(metrics, request, answer, results)
    // EventGate's 500 also covers requests whose only failures are the client's (unknown schema,
    // undeclared stream); only server-side failures make the request an error.
    // Each failed event was logged by the pipeline; the request adds a line of its own only
    // when one failure was server trouble.
    if (answer.statusCode !== 201) request.log[eventRequestLevel(results.some(isServerSideFailure))]({ statusCode: answer.statusCode }, answer.reason)
    return sendAnswer(reply, answer, pipeline.echo)
  }

  return async function (app: FastifyInstance): Promise<void> {
    app.post('/v1/events', async (request, reply) => {
      const mode = cloudEventsMode(request.headers)
      if (mode === undefined) return handle(request, reply, request.body)
      const cloudEvents = await intakeCloudEvents(mode, request, pipeline.resolver, options.cloudEvents)
      return handle(request, reply, cloudEvents?.map((c) => c.event), cloudEvents?.map((c) => c.headers))
    })
    // Kubernetes httpGet probes cannot POST, so readiness runs the configured test events by GET.
    app.get('/v1/_test/events', async (request, reply) => {
      if (options.testEvents === undefined) throw new TestEventsNotConfiguredError()
      return handle(request, reply, structuredClone(options.testEvents))
    })
  }
}
