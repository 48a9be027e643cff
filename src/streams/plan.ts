import type { Logger } from '../logger.js'
import type { TopicPartitionOffset } from '../kafka/index.js'
import type { StreamReader } from './tails.js'
import type { ServedStream } from './catalog.js'
import { topicsOfRequest } from './catalog.js'
import { BadStreamRequestError, ConfigurationError, InvalidAssignmentError, StreamNotFoundError, TopicNotAvailableError } from './errors.js'
import type { EventFilter, FilterLimits } from './filter.js'
import { parseFilter } from './filter.js'
import type { PartitionStart } from './id-tracker.js'
import type { IdEntry, LastEventId, StartPosition } from './positions.js'
import { parseLastEventId, parseSince, startOf } from './positions.js'

/** What a stream request asks for, before anything is read. */
export interface StreamRequest {
  /** The `{streams}` path segment. */
  streams: string
  query: Record<string, unknown>
  lastEventId: string | undefined
}

/** A request checked and resolved: the partitions to read, where each starts, and how to select and write events. */
export interface StreamPlan {
  streams: ServedStream[]
  starts: PartitionStart[]
  filter: EventFilter
  cluster: string
  /** `?order=time`: partitions merged by timestamp. */
  timeOrdered: boolean
  /** NDJSON lines carry `_id` (`?ndjson_ids=true`). */
  ndjsonIds: boolean
}

export interface PlanDeps {
  catalog: () => ReadonlyMap<string, ServedStream>
  /** Asks the stream config source for names the catalog lacks, adding those it knows (`stream_config_fetch_unknown`). */
  fetchUnknown?: ((names: readonly string[]) => Promise<void>) | undefined
  reader: StreamReader
  logger: Logger
  now: () => number
  compatible: boolean
  maxStreams: number
  filterLimits: FilterLimits
}

/** A request whose every part that needs no Kafka was checked: what it asks of Kafka. */
export interface CheckedRequest {
  streams: ServedStream[]
  topics: string[]
  since: number | undefined
  filter: EventFilter
  lastEventId: LastEventId | undefined
  timeOrdered: boolean
  ndjsonIds: boolean
}

/**
 * Checks a request in EventStreams' order (streams, since, Last-Event-ID, topics in Kafka) and
 * resolves where each partition starts. Every refusal is an error thrown before any stream byte.
 */
export async function planStream (request: StreamRequest, deps: PlanDeps): Promise<StreamPlan> {
  return resolvePlan(await checkStreamRequest(request, deps), deps)
}

/**
 * The checks that need no Kafka (streams, since, filters, the Last-Event-ID's form): their
 * refusals are answered even while Kafka is down. Only a stream the config did not know may wait,
 * for its settings (`stream_config_fetch_unknown`).
 */
export async function checkStreamRequest (request: StreamRequest, deps: PlanDeps): Promise<CheckedRequest> {
  const names = [...new Set(request.streams.split(',').map((n) => n.trim()).filter((n) => n !== ''))]
  if (names.length === 0) throw new StreamNotFoundError([request.streams])
  if (names.length > deps.maxStreams) throw new BadStreamRequestError(`at most ${deps.maxStreams} streams per request; got ${names.length}`)
  let requested = topicsOfRequest(deps.catalog(), names)
  if ('unknown' in requested && deps.fetchUnknown !== undefined) {
    await deps.fetchUnknown(requested.unknown)
    requested = topicsOfRequest(deps.catalog(), names)
  }
  if ('unknown' in requested) throw new StreamNotFoundError(requested.unknown)
  return {
    streams: requested.streams,
    topics: requested.topics,
    since: parseSince(stringParam(request.query.since)),
    filter: parseFilter(request.query, deps.filterLimits),
    lastEventId: request.lastEventId === undefined ? undefined : parseLastEventId(request.lastEventId),
    timeOrdered: stringParam(request.query.order) === 'time',
    ndjsonIds: stringParam(request.query.ndjson_ids) === 'true'
  }
}

/**
 * What Kafka says of a checked request: the topics that exist, their partitions and where each
 * starts. Throws a StreamRequestError for a refusal, anything else when Kafka did not answer.
 */
export async function resolvePlan (checked: CheckedRequest, deps: PlanDeps): Promise<StreamPlan> {
  const topics = await availableTopics(checked.topics, deps)
  checkIdTopics(checked.lastEventId, topics)
  const partitions = await deps.reader.partitionsOf(topics)
  const cluster = await deps.reader.clusterId()
  const positions = startPositions(partitions, checked.lastEventId, checked.since, cluster, deps)
  const resolved = await deps.reader.resolve(positions.map(({ topic, partition, start }) => ({
    topic,
    partition,
    ...(start.kind === 'offset' ? { offset: start.offset } : start.kind === 'timestamp' ? { timestamp: start.timestamp } : {})
  })))
  return {
    streams: checked.streams,
    starts: positions.map((p, i) => partitionStart(p.start, resolved[i]!)),
    filter: checked.filter,
    cluster,
    timeOrdered: checked.timeOrdered,
    ndjsonIds: checked.ndjsonIds
  }
}

/**
 * The requested topics that exist. EventStreams answers 404 when any configured topic is missing
 * (and 500 when all are); Sluice serves the ones that exist and logs the others, unless it is
 * told to be compatible.
 */
async function availableTopics (topics: readonly string[], deps: PlanDeps): Promise<string[]> {
  const existing = await deps.reader.existingTopics(topics)
  if (existing.length === 0) throw new ConfigurationError(topics)
  const missing = topics.filter((t) => !existing.includes(t))
  if (missing.length > 0) {
    if (deps.compatible) throw new TopicNotAvailableError(missing)
    deps.logger.debug({ missing }, 'configured topics do not exist in Kafka yet; serving the others')
  }
  return existing
}

/** A Last-Event-ID may only name topics of the requested streams (and ones that exist). */
function checkIdTopics (id: LastEventId | undefined, topics: readonly string[]): void {
  if (id === undefined) return
  const named = [...id.topics, ...id.entries.map((e) => e.topic)]
  const foreign = [...new Set(named.filter((t) => !topics.includes(t)))]
  if (foreign.length > 0) throw new TopicNotAvailableError(foreign)
}

interface PlannedPartition { topic: string, partition: number, start: StartPosition }

/**
 * Every partition of the requested topics, from `since` or the end, with the Last-Event-ID's
 * entries taking precedence. With `compatible`, a Last-Event-ID replaces the list (EventStreams
 * reads only what it names); otherwise partitions it does not name are still read, so a topic
 * added to a stream or an id from another datacenter's layout loses nothing.
 */
function startPositions (partitions: ReadonlyArray<{ topic: string, partition: number }>, id: LastEventId | undefined, since: number | undefined, cluster: string, deps: PlanDeps): PlannedPartition[] {
  const now = deps.now()
  const fallback: StartPosition = since === undefined ? { kind: 'latest', timestamp: now } : { kind: 'timestamp', timestamp: since, seen: 0 }
  const byKey = new Map<string, IdEntry>()
  for (const entry of id?.entries ?? []) byKey.set(`${entry.topic}/${entry.partition}`, entry)
  const known = new Set(partitions.map((p) => `${p.topic}/${p.partition}`))
  const unknownPartition = [...byKey.keys()].find((k) => !known.has(k))
  if (unknownPartition !== undefined) throw new InvalidAssignmentError(`Partition ${unknownPartition} does not exist`, JSON.stringify(id?.entries))
  const namedTopics = new Set(id?.topics ?? [])
  const out: PlannedPartition[] = []
  for (const { topic, partition } of partitions) {
    const entry = byKey.get(`${topic}/${partition}`)
    if (entry !== undefined) out.push({ topic, partition, start: startOf(entry, cluster, now) })
    else if (id === undefined || !deps.compatible || namedTopics.has(topic)) out.push({ topic, partition, start: fallback })
  }
  return out
}

function partitionStart (start: StartPosition, resolved: TopicPartitionOffset): PartitionStart {
  const { topic, partition, offset } = resolved
  const seen = start.kind === 'latest' ? 0 : start.seen
  return {
    topic,
    partition,
    offset,
    timestamp: start.timestamp,
    seen,
    skip: start.kind === 'timestamp' ? seen : 0,
    compatibleSeed: { topic, partition, offset: start.kind === 'latest' ? -1 : offset }
  }
}

function stringParam (value: unknown): string | undefined {
  if (Array.isArray(value)) return stringParam(value[0])
  return typeof value === 'string' ? value : undefined
}
