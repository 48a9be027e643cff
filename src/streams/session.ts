import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { StreamRecord } from '../kafka/index.js'
import type { Follow, StreamReader } from './tails.js'
import type { Logger } from '../logger.js'
import type { DisconnectReason, StreamsMetrics } from '../metrics/streams.js'
import { ClientTooSlowError } from './errors.js'
import type { DecodedEvent, EventCodec } from './event-codec.js'
import { matchesFilter, passesEverything } from './filter.js'
import { createIdTracker } from './id-tracker.js'
import type { IdTracker } from './id-tracker.js'
import type { StreamPlan } from './plan.js'
import { createTimeOrder } from './time-order.js'

export type WireFormat = 'sse' | 'ndjson'

export interface SessionSettings {
  heartbeatMs: number
  maxLifetimeMs: number
  maxBufferBytes: number
  compatible: boolean
  orderWindowMs: number
}

export interface SessionDeps {
  reader: StreamReader
  decode: EventCodec
  metrics: StreamsMetrics
  logger: Logger
  settings: SessionSettings
}

/** One client's open stream. */
export interface Session {
  /** Resolves with why the stream ended, once it has. */
  readonly ended: Promise<DisconnectReason>
  end(reason: DisconnectReason): void
}

/** A catch-up reader waits once this much is queued for the client; the shared tail never does. */
const catchUpHighWater = 256 * 1024
/** How often counters are moved to the metrics and the heartbeat is considered. */
const tickMs = 1000
/** How long a client told of its end may take to read what is still queued, before its socket is closed. */
const unreadGraceMs = 15_000

/** What a session's reading writes through: the client's response and the session's own end. */
interface SessionOutput {
  res: ServerResponse
  format: WireFormat
  write: (text: string) => void
  fail: (err: Error, reason: DisconnectReason) => void
  ended: Promise<DisconnectReason>
  isFinished: () => boolean
  counts: Counts
}

/**
 * What a session counts between two moves to the metrics, by stream (topic for skipped records).
 * Each map is made on its first count: an idle client, most of 10,000 connected ones, has none
 * (three empty maps are about 600 bytes).
 */
interface Counts { delivered?: Map<string, number>, filtered?: Map<string, number>, skipped?: Map<string, number> }

/** The reading of one plan: the client's position (for ids) and what to stop when the session ends. */
interface Reading {
  id: () => string
  close: () => void
}

/**
 * Streams the plan's partitions to one client: `:ok` (SSE) or an empty line (NDJSON) first,
 * then each event that passes the filter with the client's position as its id; a heartbeat
 * comment while nothing was written for `heartbeatMs`; the end after `maxLifetimeMs`, between
 * two whole events; `event: error` and the end when the client falls more than
 * `maxBufferBytes` behind on live events or the stream fails.
 *
 * The plan may still be coming (a stream accepted while Kafka does not answer): the client has
 * `:ok` and heartbeats meanwhile, reading starts when it comes, and if it fails instead the
 * client gets `event: error` (without an id, so its last one stays) and the end.
 */
export function startSession (planned: StreamPlan | Promise<StreamPlan>, res: ServerResponse, format: WireFormat, deps: SessionDeps): Session {
  const { settings, metrics } = deps
  const counts: Counts = {}
  let lastWrite = Date.now()
  // Set once reading starts; end() may run before (the client left at once, or while waiting).
  let reading: Reading | undefined
  let finished = false
  let resolveEnded: (reason: DisconnectReason) => void = () => {}
  const ended = new Promise<DisconnectReason>((resolve) => { resolveEnded = resolve })

  const write = (text: string): void => {
    res.write(text)
    lastWrite = Date.now()
  }

  const writeError = (err: Error & { code?: string }): void => {
    const body = JSON.stringify({ message: err.message, origin: 'KafkaSSE', name: err.name, code: err.code })
    if (format === 'sse') write(`event: error\n${reading === undefined ? '' : `id: ${reading.id()}\n`}data: ${body}\n\n`)
    else write(`{"error":${body}}\n`)
  }

  const fail = (err: Error, reason: DisconnectReason): void => {
    if (finished) return
    writeError(err)
    end(reason)
  }

  const flush = (): void => {
    if (counts.delivered !== undefined) for (const [stream, n] of counts.delivered) metrics.deliveries.inc({ stream }, n)
    if (counts.filtered !== undefined) for (const [stream, n] of counts.filtered) metrics.filtered.inc({ stream }, n)
    if (counts.skipped !== undefined) for (const [topic, n] of counts.skipped) metrics.skipped.inc({ topic }, n)
    counts.delivered?.clear()
    counts.filtered?.clear()
    counts.skipped?.clear()
  }

  const ticker = setInterval(() => {
    flush()
    if (settings.heartbeatMs > 0 && Date.now() - lastWrite >= settings.heartbeatMs) write(format === 'sse' ? ': heartbeat\n\n' : '\n')
  }, Math.min(tickMs, settings.heartbeatMs > 0 ? settings.heartbeatMs : tickMs))
  ticker.unref()
  const lifetime = settings.maxLifetimeMs > 0 ? setTimeout(() => { end('lifetime') }, settings.maxLifetimeMs) : undefined
  lifetime?.unref()

  function end (reason: DisconnectReason): void {
    if (finished) return
    finished = true
    reading?.close()
    clearInterval(ticker)
    clearTimeout(lifetime)
    flush()
    // Writes are whole events, so ending here ends after one. A client that reads nothing more
    // would hold the socket and what is queued for it: both go after a grace period.
    if (!res.writableEnded) res.end()
    if (reason === 'slow_client' || reason === 'error') setTimeout(() => { res.destroy() }, unreadGraceMs).unref()
    resolveEnded(reason)
  }

  const output: SessionOutput = { res, format, write, fail, ended, isFinished: () => finished, counts }
  const begin = (plan: StreamPlan): void => {
    if (finished) return
    reading = readPlan(plan, output, deps)
    // The reader may have failed the stream while it was being set up.
    if (finished) reading.close()
  }

  res.once('close', () => { end('client') })
  write(format === 'sse' ? ':ok\n\n' : '\n')
  if (planned instanceof Promise) {
    planned.then(begin, (err: unknown) => {
      if (finished) return
      deps.logger.info({ err }, 'stream ended while waiting for Kafka; the client is told and reconnects')
      fail(err instanceof Error ? err : new Error(String(err)), 'kafka_unavailable')
    })
  } else {
    begin(planned)
  }
  return { ended, end }
}

/** Follows the plan's partitions and writes what passes to the session's client. */
function readPlan (plan: StreamPlan, out: SessionOutput, deps: SessionDeps): Reading {
  const { settings, metrics } = deps
  const { res, write } = out
  const tracker = createIdTracker(plan.starts, { cluster: plan.cluster, compatible: settings.compatible })
  const streamOfTopic = new Map<string, string>()
  for (const stream of plan.streams) for (const topic of stream.topics) if (!streamOfTopic.has(topic)) streamOfTopic.set(topic, stream.name)
  const frame = createFramer(plan, out, tracker, streamOfTopic, deps.decode)

  const order = plan.timeOrdered
    ? createTimeOrder(plan.starts, settings.orderWindowMs, (record) => {
      const text = frame(record, false)
      if (text !== '') write(text)
    })
    : undefined

  /** One write per batch: a socket write costs more than the frames it carries. */
  const writeBatch = (records: readonly StreamRecord[], live: boolean): undefined => {
    let text = ''
    for (const record of records) text += frame(record, live)
    if (text !== '') write(text)
    return undefined
  }

  const waitForDrain = async (): Promise<void> => {
    if (out.isFinished()) return
    await Promise.race([once(res, 'drain'), out.ended])
  }

  /** A catch-up reader waits while the client has more than enough queued. */
  const drainIfFull = (): Promise<void> | undefined => (res.writableLength > catchUpHighWater ? waitForDrain() : undefined)

  const deliver = (records: readonly StreamRecord[], live: boolean): Promise<void> | undefined => {
    if (out.isFinished()) return undefined
    // What the client has not taken of earlier live events: one fetch may write a large batch at
    // once, so only what is still waiting when the next one comes counts against the client.
    if (live && res.writableLength > settings.maxBufferBytes) {
      out.fail(new ClientTooSlowError(settings.maxBufferBytes), 'slow_client')
      return undefined
    }
    const queued = order !== undefined ? order.add(records) : writeBatch(records, live)
    if (live) {
      const last = records.at(-1)
      if (last !== undefined) metrics.deliveryDelay.observe({ stream: streamOfTopic.get(last.topic) ?? last.topic }, Math.max(0, Date.now() - last.timestamp) / 1000)
      return undefined
    }
    return queued === undefined ? drainIfFull() : queued.then(drainIfFull)
  }

  const follow: Follow = deps.reader.follow(plan.starts.map(({ topic, partition, offset }) => ({ topic, partition, offset })), {
    deliver,
    error: (err) => {
      deps.logger.warn({ err }, 'stream failed; the client is told and disconnected')
      out.fail(err, 'error')
    }
  })
  return {
    id: () => tracker.id(),
    close () {
      follow.close()
      order?.close()
    }
  }
}

/**
 * The frame of one record if it passes ('' if not); every record passed moves the id, sent or
 * not. Records of the shared tail are decoded once for every client.
 */
function createFramer (plan: StreamPlan, out: SessionOutput, tracker: IdTracker, streamOfTopic: ReadonlyMap<string, string>, decode: EventCodec): (record: StreamRecord, live: boolean) => string {
  const { format, counts } = out
  const everything = passesEverything(plan.filter)
  const frameOf = (decoded: DecodedEvent): string => {
    if (format === 'sse') return `event: message\nid: ${tracker.id()}\ndata: ${decoded.data}\n\n`
    if (plan.ndjsonIds) return `{"_id":${tracker.id()},${decoded.data.slice(1)}\n`
    return `${decoded.data}\n`
  }
  return (record, live) => {
    const decoded = live ? decode.shared(record) : decode.once(record)
    if (decoded === undefined) {
      // Not an event: skipped, and the id stays where it was (EventStreams' behaviour).
      bump(counts, 'skipped', record.topic)
      return ''
    }
    if (!tracker.pass(record)) return ''
    const stream = streamOfTopic.get(record.topic) ?? record.topic
    if (!everything && !matchesFilter(plan.filter, decoded.event)) {
      bump(counts, 'filtered', stream)
      return ''
    }
    bump(counts, 'delivered', stream)
    return frameOf(decoded)
  }
}

function bump (counts: Counts, kind: keyof Counts, key: string): void {
  const map = counts[kind] ??= new Map<string, number>()
  map.set(key, (map.get(key) ?? 0) + 1)
}
