import type { EventProducer, ProduceRecord } from '../../kafka/index.js'
import type { Logger } from '../../logger.js'
import type { GatewayMetrics } from '../../metrics/gateway.js'
import type { ResolvedSchema, SchemaResolver } from '../../schemas/index.js'
import { formatErrorsText } from '../../schemas/index.js'
import type { StreamIndex, StreamSettings } from '../../stream-config/index.js'
import { isSluiceError } from '../../errors.js'
import { eventFailureLevel, followUpLevel } from '../../service/log-policy.js'
import { EventFieldMissingError, EventInvalidError, StreamRateLimitedError } from '../errors.js'
import type { EventResult, FailedResult } from '../respond.js'
import type { RequestInfo } from './enrich.js'
import type { EnrichPlan, MetaDtPolicy } from './enrich.js'
import { applyEnrichment, metaDtPolicyOf, planEnrichment } from './enrich.js'
import { buildErrorEvent } from './error-event.js'
import { failureReason } from './failure-reason.js'
import type { EventObject } from './event-fields.js'
import { extractFirst, getPath, isEventObject, setPath } from './event-fields.js'
import type { ClampDirection } from './record.js'
import { maxSkewOf, recordTimestamp, toRecord } from './record.js'
import { checkStream } from './stream-check.js'
import { traceHeaders } from '../../trace-context.js'
import { isCanaryEvent } from '../../canary/event.js'
import type { StreamLimits } from './stream-limits.js'
import type { IntakeDedupe } from './dedupe.js'
import type { Echo } from '../echo.js'

export type { RequestInfo } from './enrich.js'

export interface PipelineDeps {
  resolver: SchemaResolver
  /** The current stream allowlist (it may be reloaded), or undefined to allow every stream. */
  streams: () => StreamIndex | undefined
  /** Asks the stream config source for streams the allowlist lacks, adding those it knows (`stream_config_fetch_unknown`). */
  fetchUnknownStreams?: ((names: readonly string[]) => Promise<void>) | undefined
  producer: EventProducer
  /** The per-stream limits of the stream config, with their rate buckets. */
  limits: StreamLimits
  /** Idempotent intake for streams with `dedupe_window_ms`. */
  dedupe: IntakeDedupe
  /** Bounds what answers and error events copy from the request. */
  echo: Echo
  metrics: GatewayMetrics
  logger: Logger
  /** Each schema's enrichment plan, made on its first event (see enrich.ts). */
  enrichPlans?: WeakMap<object, EnrichPlan>
  now: () => Date
  newId: () => string
  settings: {
    schemaUriFields: readonly string[]
    streamFields: readonly string[]
    dtField: string
    /** meta.dt and the record timestamp; a stream's settings win (see enrich.ts, record.ts). */
    metaDtPolicy: MetaDtPolicy
    maxTimestampSkewMs: number
    topicPrefix: string
    legacyTopicsHome: string | undefined
    /** Streams whose `destination_event_service` names another service are refused (unset: none are). */
    eventServiceName: string | undefined
    headersToFields: Readonly<Record<string, string>>
    /** Query parameters that supply `$schema` / the stream to events lacking them (EventGate's legacy EventLogging intake). */
    schemaUriQueryParam: string | undefined
    streamQueryParam: string | undefined
    maxMessageBytes: number
    errorStream: string
    errorSchemaUri: string
    emitterId: string
    /** Longest string copied from the request into an answer or an error event. */
    echoMaxStringLength: number
    /** Bytes of the invalid event an error event's `raw_event` keeps at most. */
    errorRawEventMaxBytes: number
  }
}

interface Prepared {
  index: number
  event: EventObject
  record: ProduceRecord
  stream: string
  settings: StreamSettings | undefined
  streamLabel: string
  /** `<stream>:<meta.id>` when the client sent the id and the stream dedupes. */
  dedupeKey: string | undefined
  /** Set when the record timestamp was moved into the allowed skew. */
  clamped: ClampDirection | undefined
}

/**
 * What waiting for Kafka keeps of an admitted event: its record and what its outcome counts, not
 * the event object. Records wait tens of milliseconds under load, hundreds when the broker is
 * short of CPU; whatever they keep meanwhile outlives the young generation's collections and is
 * copied into the old one.
 */
export interface OutgoingEvent {
  index: number
  record: ProduceRecord
  streamLabel: string
  dedupeKey: string | undefined
  dedupeWindowMs: number | undefined
  clamped: ClampDirection | undefined
  canary: boolean
}

/** A request's events after every stage but the produce: the failures so far (by index), and the records to produce. */
export interface PreparedEvents {
  results: EventResult[]
  outgoing: OutgoingEvent[]
}

type Outcome = 'produced' | 'duplicate' | 'failed'

/** Label for events whose stream is unknown: metric labels stay a closed set. */
const unknownStream = '_unknown'

export interface ProcessOptions {
  /** false: every stage but the produce (`?validate_only=true`); nothing reaches Kafka. */
  produce?: boolean
  /** Headers of each event's record, by the event's index, next to the request's (CloudEvents' `ce_*`). */
  recordHeaders?: ReadonlyArray<Record<string, string> | undefined>
}

/**
 * The gateway's whole event path, in order:
 * extract $schema → resolve schema → extract stream → enrich → stream check → validate →
 * build record → produce. Events are independent: one failing never fails the others.
 * Results keep the input order.
 */
export async function processEvents (deps: PipelineDeps, events: readonly unknown[], request: RequestInfo, options: ProcessOptions = {}): Promise<EventResult[]> {
  const prepared = await prepareEvents(deps, events, request, options)
  if (options.produce === false) {
    for (const o of prepared.outgoing) prepared.results[o.index] = { status: 'success' }
    countOutcomes(deps, prepared.outgoing, 'validated')
    return prepared.results
  }
  return produceEvents(deps, prepared, (index) => events[index])
}

/**
 * A hasty request's work, after its answer: its events prepared, then produced, then error events
 * made of the invalid ones. What waits for Kafka is the records alone: a suspended async function
 * keeps its parameters, so the parsed events, and the request when no error event needs it, are
 * let go explicitly once prepared. (No parameter has a default: with one, V8 keeps the arguments
 * as passed beside the parameters, and clearing a parameter would free nothing.)
 */
export async function processHasty (deps: PipelineDeps, events: readonly unknown[] | undefined, request: RequestInfo | undefined, options: ProcessOptions): Promise<void> {
  const prepared = await prepareEvents(deps, events ?? [], request!, options)
  events = undefined
  const forErrorEvents = prepared.results.some((r) => r.status === 'invalid') ? request : undefined
  request = undefined
  const results = await produceEvents(deps, prepared)
  if (forErrorEvents !== undefined) await produceErrorEvents(deps, results, forErrorEvents)
}

/** Every stage of the event path but the produce; the stream limits are applied (rate buckets too unless `produce` is false). */
export async function prepareEvents (deps: PipelineDeps, events: readonly unknown[], request: RequestInfo, options: ProcessOptions = {}): Promise<PreparedEvents> {
  const results: EventResult[] = new Array<EventResult>(events.length)
  const now = deps.now()
  // One request, one span: its records share the trace headers, formatted once.
  const headers = request.trace === undefined ? undefined : traceHeaders(request.trace)
  const prepared = await prepareAll(deps, events, results, { request, nowIso: now.toISOString(), intakeMs: now.getTime(), headers, recordHeaders: options.recordHeaders })
  return { results, outgoing: applyStreamLimits(deps, prepared, results, now, options.produce !== false) }
}

/**
 * Produces the prepared records and fills in their results. A failed event's result carries the
 * event as `eventAt` gives it; without it, as its record has it (decoded only when one fails).
 * Each record is its own send, settled by its own promise: no async function per event.
 */
export async function produceEvents (deps: PipelineDeps, prepared: PreparedEvents, eventAt: (index: number) => unknown = eventOfRecord(prepared)): Promise<EventResult[]> {
  const { results, outgoing } = prepared
  const outcomes = await Promise.all(outgoing.map((o) => produceOnce(deps, o).then((outcome): Outcome => {
    results[o.index] = { status: 'success' }
    return outcome
  }, (err: unknown): Outcome => {
    results[o.index] = failure(deps, eventAt(o.index), err, o.streamLabel)
    return 'failed'
  })))
  countOutcomes(deps, outgoing, outcomes)
  return results
}

function eventOfRecord (prepared: PreparedEvents): (index: number) => unknown {
  return (index) => {
    const record = prepared.outgoing.find((o) => o.index === index)?.record
    return record === undefined ? undefined : JSON.parse(record.value.toString()) as unknown
  }
}

/**
 * Produces the record, or, for a stream with `dedupe_window_ms` and an event whose client sent
 * its `meta.id`, only if that id was not accepted within the window (a client's retry after a
 * timeout is answered as accepted, and not written twice).
 */
function produceOnce (deps: PipelineDeps, o: OutgoingEvent): Promise<'produced' | 'duplicate'> {
  if (o.dedupeKey === undefined || o.dedupeWindowMs === undefined) return deps.producer.send([o.record]).then(produced)
  return deps.dedupe.once(o.dedupeKey, o.dedupeWindowMs, async () => { await deps.producer.send([o.record]) })
}

const produced = (): 'produced' => 'produced'

/**
 * `events` counts by stream and outcome, one increment per run of equal labels rather than per
 * event (a request's events mostly share both); failures were counted with their reason.
 */
function countOutcomes (deps: PipelineDeps, outgoing: readonly OutgoingEvent[], outcomes: readonly Outcome[] | 'validated'): void {
  let from = 0
  while (from < outgoing.length) {
    const label = (outgoing[from] as OutgoingEvent).streamLabel
    const outcome = outcomes === 'validated' ? outcomes : outcomes[from]
    let to = from + 1
    while (to < outgoing.length && (outgoing[to] as OutgoingEvent).streamLabel === label && (outcomes === 'validated' || outcomes[to] === outcome)) to++
    if (outcome !== 'failed') deps.metrics.events.inc({ stream: label, outcome: outcome === 'produced' ? 'accepted' : outcome }, to - from)
    if (outcome === 'produced') for (let i = from; i < to; i++) countAccepted(deps, outgoing[i] as OutgoingEvent)
    from = to
  }
}

/** What an accepted (not duplicate) event adds to the counts beside `events`. */
function countAccepted (deps: PipelineDeps, o: OutgoingEvent): void {
  if (o.clamped !== undefined) deps.metrics.timestampsClamped.inc({ stream: o.streamLabel, direction: o.clamped })
  if (o.canary) deps.metrics.canaryEvents.inc({ stream: o.streamLabel })
}

interface EventContext {
  request: RequestInfo
  /** The request's time as ISO 8601, formatted once for all its events. */
  nowIso: string
  intakeMs: number
  /** The request's trace headers, shared by its records. */
  headers: Record<string, string> | undefined
  recordHeaders: ProcessOptions['recordHeaders']
}

/**
 * Prepares every event; the failures go to `results`. An event whose schema is compiled and
 * whose stream is known already is prepared without waiting: only events whose schema must first
 * be loaded, or whose stream must first be asked for, are.
 */
async function prepareAll (deps: PipelineDeps, events: readonly unknown[], results: EventResult[], context: EventContext): Promise<Prepared[]> {
  const parsed: Array<{ index: number, raw: unknown, event: EventObject, uri: string }> = []
  events.forEach((raw, index) => {
    try {
      parsed.push({ index, raw, ...schemaUriOf(deps, raw, context.request) })
    } catch (err) {
      results[index] = failure(deps, raw, err)
    }
  })
  const fetching = fetchUnknownStreams(deps, parsed.map((p) => p.event))
  const prepared: Prepared[] = []
  const loading: Array<Promise<void>> = []
  for (const { index, raw, event, uri } of parsed) {
    const resolved = deps.resolver.cached(uri)
    const stream = fetching === undefined ? undefined : streamNameOf(deps, event)
    const streamFetch = stream !== undefined && fetching?.names.has(stream) === true ? fetching.done : undefined
    if (resolved !== undefined && streamFetch === undefined) {
      try {
        prepared.push(prepare(deps, event, uri, resolved, index, context))
      } catch (err) {
        results[index] = failure(deps, raw, err)
      }
      continue
    }
    loading.push(Promise.all([resolved ?? deps.resolver.resolve(uri), streamFetch])
      .then(([loaded]) => { prepared.push(prepare(deps, event, uri, loaded, index, context)) })
      .catch((err: unknown) => { results[index] = failure(deps, raw, err) }))
  }
  if (loading.length > 0) await Promise.all(loading)
  return prepared
}

/** One fetch for every stream of the request that the allowlist lacks, when unknown streams are fetched. */
function fetchUnknownStreams (deps: PipelineDeps, events: readonly EventObject[]): { names: Set<string>, done: Promise<void> } | undefined {
  const streams = deps.streams()
  if (deps.fetchUnknownStreams === undefined || streams === undefined) return undefined
  const names = new Set<string>()
  for (const event of events) {
    const stream = streamNameOf(deps, event)
    if (stream !== undefined && streams.lookup(stream) === undefined) names.add(stream)
  }
  return names.size === 0 ? undefined : { names, done: deps.fetchUnknownStreams([...names]) }
}

function streamNameOf (deps: PipelineDeps, event: EventObject): string | undefined {
  const stream = extractFirst(event, deps.settings.streamFields)
  return typeof stream === 'string' && stream !== '' ? stream : undefined
}

/** The event object and its `$schema` URI (filled from the query when configured). */
function schemaUriOf (deps: PipelineDeps, raw: unknown, request: RequestInfo): { event: EventObject, uri: string } {
  const { settings } = deps
  if (!isEventObject(raw)) throw new EventFieldMissingError(settings.schemaUriFields)
  fillFromQuery(raw, settings.schemaUriFields, settings.schemaUriQueryParam, request)
  fillFromQuery(raw, settings.streamFields, settings.streamQueryParam, request)
  const uri = extractFirst(raw, settings.schemaUriFields)
  if (typeof uri !== 'string' || uri === '') throw new EventFieldMissingError(settings.schemaUriFields)
  return { event: raw, uri }
}

function prepare (deps: PipelineDeps, event: EventObject, uri: string, resolved: ResolvedSchema, index: number, context: EventContext): Prepared {
  const { settings } = deps
  const stream = extractFirst(event, settings.streamFields)
  if (typeof stream !== 'string' || stream === '') throw new EventFieldMissingError(settings.streamFields)
  // Only an id the client sent identifies a retry; one filled in below is new every time.
  const clientId = getPath(event, 'meta.id')
  const streams = deps.streams()
  const metaDt = metaDtPolicyOf(streams?.lookup(stream)?.settings, settings.metaDtPolicy)
  applyEnrichment(event, enrichPlanOf(deps, resolved), context.request, { nowIso: context.nowIso, newId: deps.newId, metaDt })
  const streamSettings = checkStream(streams, stream, resolved.title, describeEvent(event, uri, stream), settings.eventServiceName)
  const streamLabel = streams === undefined ? '_any' : (streams.lookup(stream)?.key ?? unknownStream)
  if (!resolved.validate(event)) {
    const errors = resolved.validate.errors ?? []
    throw new EventInvalidError(errors, formatErrorsText(errors))
  }
  const time = recordTimestamp(event, settings.dtField, context.intakeMs, maxSkewOf(streamSettings, settings.maxTimestampSkewMs))
  const record = toRecord(event, stream, streamSettings, settings, time.timestamp)
  const own = context.recordHeaders?.[index]
  if (own !== undefined) record.headers = { ...context.headers, ...own }
  else if (context.headers !== undefined) record.headers = context.headers
  const dedupeKey = typeof clientId === 'string' && clientId !== '' && streamSettings?.dedupe_window_ms !== undefined ? `${stream}:${clientId}` : undefined
  return { index, event, record, stream, settings: streamSettings, streamLabel, dedupeKey, clamped: time.clamped }
}

function enrichPlanOf (deps: PipelineDeps, resolved: ResolvedSchema): EnrichPlan {
  const cached = deps.enrichPlans?.get(resolved.schema)
  if (cached !== undefined) return cached
  const plan = planEnrichment(resolved.schema, deps.settings.headersToFields, resolved.title)
  deps.enrichPlans?.set(resolved.schema, plan)
  return plan
}

/** The stream config's per-stream limits, over the request's events in their order; the events over one fail. */
function applyStreamLimits (deps: PipelineDeps, prepared: readonly Prepared[], results: EventResult[], now: Date, rate: boolean): OutgoingEvent[] {
  const perStream = new Map<string, number>()
  const admitted: OutgoingEvent[] = []
  for (const p of [...prepared].sort((a, b) => a.index - b.index)) {
    const count = (perStream.get(p.stream) ?? 0) + 1
    perStream.set(p.stream, count)
    try {
      deps.limits.admit(p.stream, p.settings, p.record.value, count, now.getTime(), { rate })
      admitted.push({
        index: p.index,
        record: p.record,
        streamLabel: p.streamLabel,
        dedupeKey: p.dedupeKey,
        dedupeWindowMs: p.settings?.dedupe_window_ms,
        clamped: p.clamped,
        canary: isCanaryEvent(p.event)
      })
    } catch (err) {
      results[p.index] = failure(deps, p.event, err, p.streamLabel)
    }
  }
  return admitted
}

/**
 * EventGate's legacy EventLogging intake: an event without the field (a browser Reporting API
 * post cannot carry one) takes it from the request's query parameter, when one is configured.
 */
function fillFromQuery (event: EventObject, fields: readonly string[], param: string | undefined, request: RequestInfo): void {
  if (param === undefined || extractFirst(event, fields) !== undefined) return
  const value = request.query[param]
  const last = Array.isArray(value) ? value[value.length - 1] : value
  if (typeof last === 'string' && last !== '' && fields[0] !== undefined) setPath(event, fields[0], last)
}

function failure (deps: PipelineDeps, event: unknown, err: unknown, streamLabel?: string): FailedResult {
  const label = streamLabel ?? labelFor(deps, event)
  if (err instanceof EventInvalidError) {
    deps.metrics.events.inc({ stream: label, outcome: 'invalid' })
    deps.logger[eventFailureLevel('client')]({ err: { code: err.code, message: err.message } }, `${describeUnknown(event)} failed schema validation.`)
    return { status: 'invalid', event, context: { errors: err.errors, errorsText: err.errorsText } }
  }
  const { reason, side } = failureReason(isSluiceError(err) ? err.code : undefined)
  deps.metrics.events.inc({ stream: label, outcome: 'error', reason })
  if (isSluiceError(err)) {
    // A client's mistake is not server trouble: it must not show up in error-level log alerts.
    deps.logger[eventFailureLevel(side)]({ err, reason }, `${describeUnknown(event)} encountered an error: ${err.message}`)
    const result: FailedResult = { status: 'error', event, context: { message: err.message, code: err.code } }
    if (err.code === 'SLUICE_ERR_KAFKA_UNAVAILABLE') result.unavailable = true
    if (err instanceof StreamRateLimitedError) result.retryAfterMs = err.retryAfterMs
    return result
  }
  deps.logger.error({ err, reason }, `${describeUnknown(event)} encountered an unexpected error`)
  return { status: 'error', event, context: { message: err instanceof Error ? err.message : String(err), code: 'SLUICE_ERR_INTERNAL' } }
}

function labelFor (deps: PipelineDeps, event: unknown): string {
  const streams = deps.streams()
  if (!isEventObject(event)) return unknownStream
  const stream = extractFirst(event, deps.settings.streamFields)
  if (typeof stream !== 'string') return unknownStream
  if (streams === undefined) return '_any'
  return streams.lookup(stream)?.key ?? unknownStream
}

/** EventGate's event repr, used in messages that MediaWiki operators already grep for. */
function describeEvent (event: EventObject, uri: string, stream: string): string {
  const id = getPath(event, 'meta.id')
  return `event ${typeof id === 'string' ? id : 'undefined'} of schema at ${uri} destined to stream ${stream}`
}

function describeUnknown (event: unknown): string {
  if (!isEventObject(event)) return 'event (not an object)'
  const uri = getPath(event, '$schema')
  const stream = getPath(event, 'meta.stream')
  return describeEvent(event, typeof uri === 'string' ? uri : 'undefined', typeof stream === 'string' ? stream : 'undefined')
}

/**
 * Invalid events become events of the error schema on the error stream, produced through the
 * same pipeline (so they are validated too). What they copy from the event is bounded, so that
 * each fits in a Kafka message; one the error schema refuses (a `meta.uri` that is not a URI)
 * is tried once more without the meta fields it copied. Their own failures are logged and
 * counted, never turned into further error events.
 */
export async function produceErrorEvents (deps: PipelineDeps, results: readonly EventResult[], request: RequestInfo): Promise<void> {
  const invalid = results.filter((r): r is Extract<EventResult, { status: 'invalid' }> => r.status === 'invalid')
  if (invalid.length === 0) return
  const { settings } = deps
  const now = deps.now()
  const build = (r: Extract<EventResult, { status: 'invalid' }>, minimal: boolean): EventObject => buildErrorEvent(r.event, r.context.errorsText, 'ValidationError', {
    schemaUri: settings.errorSchemaUri,
    stream: settings.errorStream,
    emitterId: settings.emitterId,
    now,
    maxStringLength: settings.echoMaxStringLength,
    // The rest of the error event (bounded strings, meta) fits in the quarter left.
    maxRawEventBytes: Math.min(settings.errorRawEventMaxBytes, Math.floor(settings.maxMessageBytes * 3 / 4)),
    minimal
  })
  deps.logger[followUpLevel]({ count: invalid.length }, `${invalid.length} failed, producing ${invalid.length} error events.`)
  const outcomes = await processEvents(deps, invalid.map((r) => build(r, false)), request)
  const again = invalid.filter((_, i) => outcomes[i]?.status === 'invalid')
  const retried = again.length === 0 ? [] : await processEvents(deps, again.map((r) => build(r, true)), request)
  const final: EventResult[] = [...outcomes.filter((o) => o.status !== 'invalid'), ...retried]
  for (const outcome of final) {
    deps.metrics.errorEvents.inc({ result: outcome.status === 'success' ? 'produced' : 'failed' })
    if (outcome.status !== 'success') {
      deps.logger.error({ context: outcome.context }, 'could not produce an error event')
    }
  }
}
