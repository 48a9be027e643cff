import type { Dispatcher } from 'undici'
import { ConfigInvalidError, isSluiceError, messageOf } from '../errors.js'
import type { Logger } from '../logger.js'
import { createSchemaResolver, createSourcesFromBaseUris } from '../schemas/index.js'
import type { SchemaResolver } from '../schemas/index.js'
import { readStreamConfig } from '../stream-config/index.js'
import type { StreamConfigData } from '../stream-config/index.js'
import { isRegexKey } from '../stream-config/load.js'
import type { CanaryConfig } from './config.js'
import { CanaryNoGatewayError } from './errors.js'
import { buildCanaryEvent } from './event.js'
import type { CanaryResult } from './post.js'
import { postCanaryEvents } from './post.js'
import type { GatewayTarget } from './targets.js'
import { gatewayTargets, targetsFor } from './targets.js'

/** How one stream's canary fared in one datacenter (at one of its gateways). */
export interface CanaryOutcome {
  datacenter: string
  stream: string
  /** The gateway posted to; undefined when the canary was never posted. */
  url: string | undefined
  result: CanaryResult
  code?: string
  message?: string
}

/** One POST of a run: a gateway and the canary events it is sent. */
export interface CanaryPost {
  datacenter: string
  url: string
  events: Array<{ stream: string, event: Record<string, unknown> }>
}

/** What a run will do: its POSTs, and the outcomes already known (canaries that cannot be built or sent). */
export interface CanaryPlan {
  streams: string[]
  posts: CanaryPost[]
  outcomes: CanaryOutcome[]
}

export interface CanaryReport {
  streams: string[]
  outcomes: CanaryOutcome[]
}

export interface CanaryRunDeps {
  config: Readonly<CanaryConfig>
  /** Relative stream-config and schema paths are resolved against it. */
  cwd: string
  dispatcher: Dispatcher
  logger: Logger
}

interface Canary {
  stream: string
  eventService: string | undefined
  event?: Record<string, unknown>
  failure?: { code: string, message: string }
}

/**
 * Reads the stream config and the schemas and makes each canary stream's event (see
 * buildCanaryEvent), then lays out the POSTs: every datacenter of `gateways` gets every stream's
 * canary, at the gateways that take the stream (targetsFor), one POST of up to
 * `max_events_per_request` events per gateway. Throws only when the stream config cannot be read
 * or `streams` names a stream it does not declare.
 */
export async function planCanaries (deps: CanaryRunDeps): Promise<CanaryPlan> {
  const { config } = deps
  const targets = gatewayTargets(config.gateways)
  if (targets.length === 0) throw new ConfigInvalidError('canary configuration', ['gateways: no gateway to post canary events to (set gateways, or --gateway DATACENTER=URL)'])
  const data = await readStreamConfig({ uri: config.stream_config_uri, cwd: deps.cwd, dispatcher: deps.dispatcher, timeoutMs: config.fetch_timeout_ms })
  const streams = canaryStreams(data, config.streams)
  const resolver = createSchemaResolver({
    sources: createSourcesFromBaseUris(config.schema_base_uris, { dispatcher: deps.dispatcher, timeoutMs: config.fetch_timeout_ms, maxBytes: config.schema_max_bytes, userAgent: config.user_agent, cwd: deps.cwd }),
    fileExtension: config.schema_file_extension,
    allowAbsoluteUris: false,
    failureRetryMs: 0,
    maxSchemaBytes: config.schema_max_bytes,
    logger: deps.logger
  })
  const canaries = await Promise.all(streams.map(async (stream) => canaryOf(stream, data[stream], resolver)))
  const posts = new Map<string, CanaryPost>()
  const outcomes: CanaryOutcome[] = []
  for (const datacenter of Object.keys(config.gateways)) {
    for (const canary of canaries) {
      for (const outcome of route(canary, datacenter, targets, posts)) outcomes.push(outcome)
    }
  }
  return { streams, posts: [...posts.values()].flatMap((post) => chunks(post, config.max_events_per_request)), outcomes }
}

/** Posts a plan's events, every gateway at once, and gathers every outcome. */
export async function postPlan (plan: CanaryPlan, deps: CanaryRunDeps): Promise<CanaryReport> {
  const options = { dispatcher: deps.dispatcher, timeoutMs: deps.config.request_timeout_ms, userAgent: deps.config.user_agent }
  const posted = await Promise.all(plan.posts.map(async (post) => {
    const results = await postCanaryEvents(post.url, post.events, options)
    return results.map((r): CanaryOutcome => ({ datacenter: post.datacenter, url: post.url, ...r }))
  }))
  return { streams: plan.streams, outcomes: [...plan.outcomes, ...posted.flat()].sort(byDatacenterAndStream) }
}

/** The canary streams: those named (each must be declared), else every exact stream with `canary_events_enabled: true`. */
export function canaryStreams (data: StreamConfigData, named: readonly string[]): string[] {
  if (named.length > 0) {
    const undeclared = named.filter((stream) => !Object.hasOwn(data, stream))
    if (undeclared.length > 0) throw new ConfigInvalidError('canary configuration', undeclared.map((stream) => `streams: ${stream} is not declared in the stream config`))
    return [...new Set(named)]
  }
  // A /regex/ entry names no stream to post to, as in Wikimedia's job.
  return Object.entries(data)
    .filter(([key, settings]) => !isRegexKey(key) && isObject(settings) && settings.canary_events_enabled === true)
    .map(([key]) => key)
    .sort()
}

async function canaryOf (stream: string, settings: unknown, resolver: SchemaResolver): Promise<Canary> {
  const eventService = isObject(settings) && typeof settings.destination_event_service === 'string' ? settings.destination_event_service : undefined
  const title = isObject(settings) ? settings.schema_title : undefined
  if (typeof title !== 'string' || title === '') {
    return { stream, eventService, failure: { code: 'SLUICE_ERR_STREAM_CONFIG_INCOMPLETE', message: `stream ${stream} has no schema_title` } }
  }
  // The latest version, as Wikimedia's job takes it: `/<schema_title>/latest`.
  const uri = `/${title}/latest`
  try {
    const resolved = await resolver.resolve(uri)
    return { stream, eventService, event: buildCanaryEvent(stream, resolved.schema, uri) }
  } catch (err) {
    return { stream, eventService, failure: { code: isSluiceError(err) ? err.code : 'SLUICE_ERR_INTERNAL', message: messageOf(err) } }
  }
}

/** Adds a canary to the POSTs of one datacenter, or says why it cannot go. */
function route (canary: Canary, datacenter: string, targets: readonly GatewayTarget[], posts: Map<string, CanaryPost>): CanaryOutcome[] {
  if (canary.event === undefined) {
    return [{ datacenter, stream: canary.stream, url: undefined, result: 'invalid', ...canary.failure }]
  }
  const chosen = targetsFor(targets, datacenter, canary.eventService)
  if (chosen.length === 0) {
    const error = new CanaryNoGatewayError(canary.stream, datacenter, canary.eventService)
    return [{ datacenter, stream: canary.stream, url: undefined, result: 'failed', code: error.code, message: error.message }]
  }
  for (const target of chosen) {
    const key = `${datacenter} ${target.url}`
    let post = posts.get(key)
    if (post === undefined) {
      post = { datacenter, url: target.url, events: [] }
      posts.set(key, post)
    }
    post.events.push({ stream: canary.stream, event: canary.event })
  }
  return []
}

function chunks (post: CanaryPost, size: number): CanaryPost[] {
  const out: CanaryPost[] = []
  for (let i = 0; i < post.events.length; i += size) out.push({ ...post, events: post.events.slice(i, i + size) })
  return out
}

function byDatacenterAndStream (a: CanaryOutcome, b: CanaryOutcome): number {
  return a.datacenter.localeCompare(b.datacenter) || a.stream.localeCompare(b.stream) || (a.url ?? '').localeCompare(b.url ?? '')
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
