import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayMetrics } from '../../metrics/gateway.js'
import type { BackgroundTasks } from '../background.js'
import type { BeaconSettings } from '../beacon.js'
import { BeaconMalformedError, capsuleToEvent, legacySchemaUri, readCapsule } from '../beacon.js'
import { buildErrorEvent } from '../pipeline/error-event.js'
import { failureReason } from '../pipeline/failure-reason.js'
import type { PipelineDeps, RequestInfo } from '../pipeline/index.js'
import { processEvents, produceErrorEvents } from '../pipeline/index.js'
import type { EventResult } from '../respond.js'
import { requestInfo } from './events.js'
import type { TurnEnd } from '../turn-end.js'

export interface BeaconRouteOptions {
  pipeline: PipelineDeps
  background: BackgroundTasks
  metrics: GatewayMetrics
  settings: BeaconSettings
  /** The end of the turn, that answers wait for (turn-end.ts). */
  turnEnd: TurnEnd
}

/**
 * EventLogging's intake: `GET /beacon/event?<url-encoded capsule>;`, and the same URL POSTed
 * with no body (`navigator.sendBeacon(url)`). Browsers retry nothing and read nothing, so every
 * request is answered 204 once its work is under way (bounded as hasty requests are, by
 * `hasty_max_pending_events`); what fails becomes an error event, a metric and a log line.
 */
export function beaconRoutes (options: BeaconRouteOptions) {
  const { background } = options

  async function handle (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // EventLogging's dt was the time the beacon arrived: meta.dt and dt are this instant.
    const receivedAt = options.pipeline.now()
    const info = requestInfo(request)
    const url = request.url
    await background.runWithin('beacon', async () => { await processBeacon(options, url, info, receivedAt) }, 1)
    await options.turnEnd()
    return reply.code(204).send()
  }

  return async function (app: FastifyInstance): Promise<void> {
    // A body is never read: one that does not parse must not cost the capsule in the URL.
    const routeOptions = { errorHandler: async (_err: unknown, request: FastifyRequest, reply: FastifyReply) => handle(request, reply) }
    app.get('/beacon/event', routeOptions, handle)
    app.post('/beacon/event', routeOptions, handle)
  }
}

async function processBeacon (options: BeaconRouteOptions, url: string, info: RequestInfo, receivedAt: Date): Promise<void> {
  const { metrics, settings } = options
  const deps: PipelineDeps = { ...options.pipeline, now: () => receivedAt }
  let capsule
  try {
    capsule = readCapsule(url, settings)
  } catch (err) {
    if (!(err instanceof BeaconMalformedError)) throw err
    metrics.beacons.inc({ outcome: err.outcome })
    deps.logger.info({ outcome: err.outcome }, `EventLogging beacon carries no event: ${err.message}`)
    await produceFailureEvents(deps, [{ event: err.raw, message: err.message, type: err.outcome === 'too_large' ? 'BeaconTooLargeError' : 'BeaconParseError' }], info)
    return
  }
  const schema = legacySchemaUri(capsule.schema as string, settings)
  const event = capsuleToEvent(capsule, schema.latest ? await concreteVersion(deps, schema.uri) : schema.uri)
  const results = await processEvents(deps, [event], info)
  const result = results[0] as EventResult
  metrics.beacons.inc({ outcome: result.status === 'success' ? 'accepted' : result.status })
  if (result.status === 'invalid') await produceErrorEvents(deps, results, info)
  // The client cannot be told, so its mistakes (an unknown schema, an undeclared stream) are kept
  // as error events too; server trouble is the server's to fix and is counted and logged only.
  if (result.status === 'error' && failureReason(result.context.code).side === 'client') {
    await produceFailureEvents(deps, [{ event: result.event, message: result.context.message, type: result.context.code ?? 'EventError' }], info)
  }
}

/** `…/latest` as the version it is now (the events record the version they were checked against). */
async function concreteVersion (deps: PipelineDeps, uri: string): Promise<string> {
  try {
    const id = (await deps.resolver.resolve(uri)).schema.$id
    return typeof id === 'string' && id.startsWith('/') ? id : uri
  } catch {
    return uri // the pipeline reports the failure for the event
  }
}

async function produceFailureEvents (deps: PipelineDeps, failures: ReadonlyArray<{ event: unknown, message: string, type: string }>, info: RequestInfo): Promise<void> {
  const now = deps.now()
  const { settings } = deps
  const events = failures.map((f) => buildErrorEvent(f.event, f.message, f.type, {
    schemaUri: settings.errorSchemaUri,
    stream: settings.errorStream,
    emitterId: settings.emitterId,
    now,
    // Bounded as produceErrorEvents bounds those of invalid events, so that each fits in a record.
    maxStringLength: settings.echoMaxStringLength,
    maxRawEventBytes: Math.min(settings.errorRawEventMaxBytes, Math.floor(settings.maxMessageBytes * 3 / 4))
  }))
  for (const outcome of await processEvents(deps, events, info)) {
    deps.metrics.errorEvents.inc({ result: outcome.status === 'success' ? 'produced' : 'failed' })
    if (outcome.status !== 'success') deps.logger.error({ context: outcome.context }, 'could not produce an error event')
  }
}
