import { InvalidAssignmentError, InvalidSinceError } from './errors.js'

/**
 * One entry of a Last-Event-ID, as EventStreams writes them (`{topic, partition, offset}` or
 * `{topic, partition, timestamp}`) and as Sluice writes them: both, plus the cluster the offset
 * belongs to and how many records at exactly `timestamp` were already passed.
 */
export interface IdEntry {
  topic: string
  partition: number
  /** The next offset to read, valid in `cluster` (or anywhere when the entry has no timestamp). -1: the end. */
  offset?: number
  /** Read from the first record whose timestamp is >= this (ms). */
  timestamp?: number
  /** Records at exactly `timestamp` already passed, skipped on a timestamp resume. */
  seen?: number
  /** The Kafka cluster id `offset` belongs to. */
  cluster?: string
}

/** A Last-Event-ID: topic names (every partition) and partition entries. */
export interface LastEventId {
  topics: string[]
  entries: IdEntry[]
}

/** Bounds a header's work: a Last-Event-ID names at most this many entries. */
const maxEntries = 10000

/**
 * Parses and checks a Last-Event-ID header as KafkaSSE does (a non-empty JSON array of topic
 * names or of entries with an integer partition and an integer offset or timestamp), answering
 * InvalidAssignmentError otherwise. Sluice's own fields (`seen`, `cluster`) are checked when present.
 */
export function parseLastEventId (header: string): LastEventId {
  let parsed: unknown
  try {
    parsed = JSON.parse(header)
  } catch (err) {
    throw new InvalidAssignmentError(`Last-Event-ID is not JSON: ${(err as Error).message}`, header, 'SyntaxError')
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new InvalidAssignmentError('Last-Event-ID must be a non-empty JSON array of assignments', header)
  if (parsed.length > maxEntries) throw new InvalidAssignmentError(`Last-Event-ID names more than ${maxEntries} assignments`, header)
  const out: LastEventId = { topics: [], entries: [] }
  for (const item of parsed) {
    if (typeof item === 'string' && item !== '') { out.topics.push(item); continue }
    const entry = entryOf(item)
    if (entry === undefined) throw new InvalidAssignmentError(`Invalid assignment ${JSON.stringify(item)}: needs a string topic, an integer partition, and an integer offset or timestamp`, header)
    out.entries.push(entry)
  }
  return out
}

function entryOf (item: unknown): IdEntry | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined
  const { topic, partition, offset, timestamp, seen, cluster } = item as Record<string, unknown>
  if (typeof topic !== 'string' || topic === '' || !isInt(partition) || partition < 0) return undefined
  if (offset !== undefined && (!isInt(offset) || offset < -2)) return undefined
  if (timestamp !== undefined && (!isInt(timestamp) || timestamp < 0)) return undefined
  if (offset === undefined && timestamp === undefined) return undefined
  if (seen !== undefined && (!isInt(seen) || seen < 0)) return undefined
  if (cluster !== undefined && typeof cluster !== 'string') return undefined
  const entry: IdEntry = { topic, partition }
  if (offset !== undefined) entry.offset = offset
  if (timestamp !== undefined) entry.timestamp = timestamp
  if (seen !== undefined && seen > 0) entry.seen = seen
  if (cluster !== undefined) entry.cluster = cluster
  return entry
}

function isInt (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value)
}

/**
 * `since` as EventStreams reads it: milliseconds since the epoch, or anything Date.parse takes.
 * An empty value is no `since`.
 */
export function parseSince (value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  if (/^\d+$/.test(value)) {
    const ms = Number(value)
    if (Number.isSafeInteger(ms)) return ms
  }
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || ms < 0) throw new InvalidSinceError(value)
  return ms
}

/** Where one partition starts: an offset in this cluster, or a timestamp with records to skip at it. */
export type StartPosition =
  | { kind: 'offset', offset: number, timestamp: number, seen: number }
  | { kind: 'timestamp', timestamp: number, seen: number }
  | { kind: 'latest', timestamp: number }

/**
 * The start of one partition from its Last-Event-ID entry: the offset when it belongs to this
 * cluster (or the entry has nothing else), the timestamp otherwise. An entry with both is never
 * dropped (EventStreams drops it when other entries are timestamp-only).
 */
export function startOf (entry: IdEntry, cluster: string, now: number): StartPosition {
  const useOffset = entry.offset !== undefined && (entry.timestamp === undefined || entry.cluster === cluster)
  if (useOffset) {
    const offset = entry.offset!
    if (offset === -1) return { kind: 'latest', timestamp: entry.timestamp ?? now }
    return { kind: 'offset', offset: Math.max(0, offset), timestamp: entry.timestamp ?? now, seen: entry.seen ?? 0 }
  }
  return { kind: 'timestamp', timestamp: entry.timestamp!, seen: entry.seen ?? 0 }
}
