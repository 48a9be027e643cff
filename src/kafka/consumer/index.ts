import { setMaxListeners } from 'node:events'
import { Consumer } from '@platformatic/kafka'
import type { CallbackWithPromise, FetchOptions, Message, MessagesStream } from '@platformatic/kafka'
import type { Logger } from '../../logger.js'
import { decodeHeaders, kafkaClientOptions } from '../client.js'
import type { KafkaSecurity } from '../client.js'
import { isRetriable } from '../errors.js'
import type { CommitPosition } from './offset-tracker.js'
import { createOffsetTracker } from './offset-tracker.js'
import { defaultBackoff, retryUntilDone } from '../../backoff.js'
import { consumerDefaults } from '../options.js'
import { deadlineIn, settlesBefore } from '../../deadline.js'

export interface ConsumedMessage {
  topic: string
  partition: number
  /** Decimal string: Kafka offsets are int64. */
  offset: string
  key: Buffer | null
  value: Buffer | null
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string
  headers: Record<string, string>
}

/**
 * Handles one message. Resolving means the message reached its final, durable outcome
 * and its offset may be committed. Rejecting means it did not: the consumer runs the
 * handler again after a back-off (until it resolves or the consumer closes), and the
 * partition's commits wait for it. `signal` aborts when shutdown gives up on in-flight work.
 */
export type MessageHandler = (message: ConsumedMessage, signal: AbortSignal) => Promise<void>

/**
 * Where a partition stands, reported after each fetched batch and each commit, and every
 * `progressIntervalMs` whatever happens, so that a consumer that stopped fetching (every
 * slot held by a stuck handler) still reports a growing lag and age.
 */
export interface PartitionProgress {
  topic: string
  partition: number
  /** The log end offset at the last fetch. */
  highWatermark: string
  /** The last position this consumer committed, if any. */
  committed: string | undefined
  /** Messages between the committed position (or the first one seen) and the log end. */
  lag: number
  /** How long the oldest message of the partition that is still unfinished has been running; 0 when none is. */
  oldestUnfinishedMs: number
}

export interface EventConsumerOptions {
  brokers: readonly string[]
  clientId: string
  groupId: string
  topics: readonly string[]
  /** Where a new group starts: the oldest message (true) or the next one produced (false). Default false. */
  fromBeginning?: boolean
  /**
   * Topics of `topics` that start from their oldest message whatever `fromBeginning` says:
   * topics that appeared after the group was set up, where everything is new to it.
   */
  topicsFromBeginning?: readonly string[]
  /** Messages handled at once, across all partitions of this consumer. Default 1 (strict order). */
  concurrency?: number
  /** How long finished offsets wait to be committed together; 0 commits after every message. */
  commitIntervalMs?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  /** How long the broker may hold a fetch open when there is nothing to read. */
  maxWaitTimeMs?: number
  /** Bytes one fetch asks for, per partition and in all. */
  fetchMaxBytes?: number
  /** First back-off after a handler rejected (the policy of src/backoff.ts: doubling up to 5 s). Default 100. */
  handlerRetryDelayMs?: number
  /**
   * How often the progress of every assigned partition is reported, with its log end read
   * from the broker. Default 10000; 0 reports only on fetches and commits.
   */
  progressIntervalMs?: number
  logger: Logger
  onProgress?: (progress: PartitionProgress) => void
  /** TLS and SASL (security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}

export interface EventConsumerCloseResult {
  /** In-flight messages given up at the deadline (not committed, so read again after restart). */
  abandoned: number
}

export interface EventConsumer {
  /** Connects, joins the group and starts handing messages to `handler`. */
  start(handler: MessageHandler): Promise<void>
  /**
   * Stops fetching, waits up to `drainTimeoutMs` for in-flight messages, aborts the rest,
   * commits every finished prefix and leaves the group.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<EventConsumerCloseResult>
  /** true while the consumer is a member of its group with partitions to read (or none to have). */
  isReady(): boolean
  /** true once the consumer gave up for good (a failure no restart can fix, e.g. a setting the broker refuses). */
  hasFailed(): boolean
  /** Messages handed to the handler and not finished yet. */
  inFlight(): number
  /** The topic-partitions currently assigned to this consumer. */
  assignment(): Array<{ topic: string, partition: number }>
}

/** The result of one Fetch request, as the client hands it over. */
type FetchResult = Awaited<ReturnType<Consumer['fetch']>>

/**
 * A client that shows each Fetch response to `onFetched`: the messages it yields carry no log
 * end offset, and the lag this consumer reports is measured from it.
 */
class FetchWatchingConsumer extends Consumer {
  onFetched: ((response: FetchResult) => void) | undefined

  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>, callback: CallbackWithPromise<FetchResult>): void
  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>): Promise<FetchResult>
  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>, callback?: CallbackWithPromise<FetchResult>): void | Promise<FetchResult> {
    if (callback === undefined) {
      return super.fetch(options).then((response) => {
        this.onFetched?.(response)
        return response
      })
    }
    super.fetch(options, (error, response) => {
      if (error === null && response !== undefined) this.onFetched?.(response)
      callback(error, response as FetchResult)
    })
  }
}

/** One client and its streams: what a restart after a crash replaces. */
interface Session {
  client: FetchWatchingConsumer
  streams: Array<MessagesStream<Buffer, Buffer, Buffer, Buffer>>
  ended: boolean
}

/** A partition this member owns, with the group generation that gave it to this member. */
interface Owned {
  topic: string
  partition: number
  generation: number
}

const { restartInitialMs, restartMaxMs } = consumerDefaults

/**
 * A consumer-group member that runs a bounded number of messages concurrently and
 * commits at least once.
 *
 * A client's own commit model (commit what was fetched, or the highest offset resolved) would
 * commit past a message that is still running whenever a later one finishes first. Here every
 * delivered offset goes through an OffsetTracker, and only the contiguous prefix of finished
 * messages is ever committed, per topic-partition; commits are always explicit. When every slot
 * is taken the streams are paused, which stops fetching; the client heartbeats on its own
 * meanwhile, so a slow handler does not cost the membership.
 */
export function createEventConsumer (options: EventConsumerOptions): EventConsumer {
  const log = options.logger.child({ module: 'kafka-consumer', group: options.groupId })
  const concurrency = options.concurrency ?? consumerDefaults.concurrency
  const commitIntervalMs = options.commitIntervalMs ?? consumerDefaults.commitIntervalMs
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? consumerDefaults.heartbeatIntervalMs
  const sessionTimeoutMs = options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs
  const maxWaitTimeMs = options.maxWaitTimeMs ?? consumerDefaults.maxWaitTimeMs
  const fetchMaxBytes = options.fetchMaxBytes ?? consumerDefaults.fetchMaxBytes
  const handlerBackoff = { initialMs: options.handlerRetryDelayMs ?? defaultBackoff.initialMs, maxMs: defaultBackoff.maxMs }
  const progressIntervalMs = options.progressIntervalMs ?? consumerDefaults.progressIntervalMs
  const tracker = createOffsetTracker()
  const inFlight = new Set<Promise<void>>()
  const abort = new AbortController()
  // Every in-flight handler may listen on it (its HTTP request, its retry wait).
  setMaxListeners(0, abort.signal)
  const highWatermarks = new Map<string, { topic: string, partition: number, high: bigint, firstSeen: bigint }>()
  let owned = new Map<string, Owned>()
  let session: Session | undefined
  let handler: MessageHandler | undefined
  let running = 0
  let paused = false
  let joined = false
  let crashed = false
  let closing = false
  let started = false
  let restartTimer: NodeJS.Timeout | undefined
  let restartDelayMs: number = restartInitialMs
  let commitTimer: NodeJS.Timeout | undefined
  let commitChain: Promise<void> = Promise.resolve()
  let progressTimer: NodeJS.Timeout | undefined
  let progressTick: Promise<void> = Promise.resolve()

  function createSession (): Session {
    const client = new FetchWatchingConsumer({
      ...kafkaClientOptions({
        brokers: options.brokers,
        clientId: options.clientId,
        requestTimeoutMs: consumerDefaults.requestTimeoutMs,
        security: options.security
      }),
      groupId: options.groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: consumerDefaults.rebalanceTimeoutMs,
      maxWaitTime: maxWaitTimeMs,
      maxBytes: fetchMaxBytes,
      maxBytesPerPartition: fetchMaxBytes,
      // Fetched messages wait here while every slot is taken; pausing stops the fetches.
      highWaterMark: Math.max(consumerDefaults.minHighWaterMark, concurrency * 2),
      autocommit: false
    })
    const s: Session = { client, streams: [], ended: false }
    client.onFetched = (response) => { if (session === s) onFetched(s, response) }
    client.on('consumer:group:join', (payload) => { if (session === s) onJoin(s, payload.assignments ?? []) })
    client.on('consumer:group:rebalance', () => { if (session === s) joined = false })
    client.on('consumer:heartbeat:error', () => { if (session === s) joined = false })
    client.on('client:broker:disconnect', () => { if (session === s) joined = false })
    client.on('consumer:heartbeat:end', () => { if (session === s && !closing) joined = true })
    // A rejoin the client gave up on: its membership is over.
    client.on('error', (err: Error) => { fail(s, err) })
    session = s
    return s
  }

  /** Joins the group and starts the streams; failures end the session (see fail). */
  async function consume (s: Session): Promise<void> {
    const late = new Set(options.topicsFromBeginning ?? [])
    const usual = options.topics.filter((topic) => !late.has(topic))
    const fresh = options.topics.filter((topic) => late.has(topic))
    // Where a partition the group never committed starts is a setting of the stream, so the
    // topics that always start from their oldest message get a stream of their own.
    const plans: Array<{ topics: string[], fallbackMode: 'earliest' | 'latest' }> = []
    if (usual.length > 0) plans.push({ topics: usual, fallbackMode: options.fromBeginning === true ? 'earliest' : 'latest' })
    if (fresh.length > 0) plans.push({ topics: fresh, fallbackMode: 'earliest' })
    try {
      for (const plan of plans) {
        const stream = await s.client.consume({ topics: plan.topics, mode: 'committed', fallbackMode: plan.fallbackMode, autocommit: false })
        if (s.ended) {
          // The stream may still be fetching its first offsets through the client that is now
          // closing; that failure is expected and must not surface as an unhandled 'error'.
          stream.on('error', () => undefined)
          stream.close().catch(() => undefined)
          return
        }
        s.streams.push(stream)
        stream.on('error', (err: Error) => { fail(s, err) })
        if (paused) stream.pause()
        stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => { onMessage(s, message) })
      }
    } catch (err) {
      fail(s, err)
    }
  }

  /**
   * The session's client crashed (it could not join, or a stream failed). A failure that
   * retrying cannot change (e.g. a session timeout the broker refuses) ends the consumer for
   * good; anything else gets a new client after a back-off, which rejoins the group and reads
   * on from the committed offsets.
   */
  function fail (s: Session, err: unknown): void {
    if (s.ended || closing) return
    joined = false
    const restart = isRetriable(err)
    log.error({ err, restart }, 'consumer crashed')
    endSession(s)
    if (!restart) {
      crashed = true
      return
    }
    restartTimer = setTimeout(() => {
      restartTimer = undefined
      if (!closing) void consume(createSession())
    }, restartDelayMs)
    restartDelayMs = Math.min(restartDelayMs * 2, restartMaxMs)
  }

  function endSession (s: Session): void {
    s.ended = true
    if (session === s) session = undefined
    // In the background: a crashed client may take a while to give up its requests.
    void closeClient(s).catch((err: unknown) => { log.debug({ err }, 'closing a crashed Kafka client failed') })
  }

  async function closeClient (s: Session): Promise<void> {
    await Promise.allSettled(s.streams.map(async (stream) => stream.close()))
    await s.client.close(true)
  }

  function onJoin (s: Session, assignments: ReadonlyArray<{ topic: string, partitions: number[] }>): void {
    const next = new Map<string, Owned>()
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const key = `${partition}:${topic}`
        const kept = owned.get(key)
        if (kept !== undefined) {
          next.set(key, kept)
          continue
        }
        next.set(key, { topic, partition, generation: s.client.generationId })
        // A partition this member read before and lost: the stream's next position for it may be
        // past messages that never finished here, so it starts again from the committed offset.
        for (const stream of s.streams) stream.offsetsToFetch.delete(`${topic}:${partition}`)
      }
    }
    // Revoked partitions belong to another member now; what ran here and was not committed
    // will run there again. Partitions kept keep their tracking: redelivered offsets that
    // are still running (or finished, uncommitted) here are not handed out twice.
    const revoked = [...owned].filter(([key]) => !next.has(key)).map(([, tp]) => ({ topic: tp.topic, partition: tp.partition }))
    tracker.reset(revoked)
    for (const tp of revoked) highWatermarks.delete(`${tp.partition}:${tp.topic}`)
    owned = next
    joined = true
    crashed = false
    restartDelayMs = restartInitialMs
    log.info({ assignment: Object.fromEntries(assignments.map((a) => [a.topic, a.partitions])) }, 'joined consumer group')
  }

  /** Log end offsets of the partitions of one Fetch response, reported as progress. */
  function onFetched (s: Session, response: FetchResult): void {
    const metadata = s.client.currentMetadata
    if (metadata === undefined) return
    for (const topicResponse of response.responses) {
      let topic: string | undefined
      for (const [name, info] of metadata.topics) {
        if (info.id === topicResponse.topicId) {
          topic = name
          break
        }
      }
      if (topic === undefined) continue
      for (const part of topicResponse.partitions) {
        const key = `${part.partitionIndex}:${topic}`
        if (part.errorCode !== 0 || !owned.has(key)) continue
        const mark = highWatermarks.get(key)
        if (mark === undefined) {
          const first = part.records?.[0]?.firstOffset
          highWatermarks.set(key, { topic, partition: part.partitionIndex, high: part.highWatermark, firstSeen: first ?? part.highWatermark })
        } else if (part.highWatermark > mark.high) {
          mark.high = part.highWatermark
        }
        reportProgress(topic, part.partitionIndex)
      }
    }
  }

  function onMessage (s: Session, message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    if (session !== s || closing || handler === undefined) return
    const { topic, partition } = message
    const tp = owned.get(`${partition}:${topic}`)
    // Fetched while this member did not own the partition (before it was revoked and given back,
    // or after it was revoked): the stream reads it again from the committed offset.
    const generation = (message.metadata.consumer as { generationId?: number } | undefined)?.generationId ?? 0
    if (tp === undefined || generation < tp.generation) return
    const offset = message.offset.toString()
    // Already handed out before a rejoin: it is running or finished, not lost.
    if (!tracker.begin(topic, partition, offset)) return
    running++
    if (running >= concurrency) pauseStreams()
    dispatch(handler, {
      topic,
      partition,
      offset,
      key: message.key ?? null,
      value: message.value ?? null,
      timestamp: message.timestamp.toString(),
      headers: decodeHeaders(message.headers)
    })
  }

  function pauseStreams (): void {
    paused = true
    for (const stream of session?.streams ?? []) stream.pause()
  }

  function releaseSlot (): void {
    running--
    if (paused && running < concurrency && !closing) {
      paused = false
      for (const stream of session?.streams ?? []) stream.resume()
    }
  }

  function reportProgress (topic: string, partition: number): void {
    if (options.onProgress === undefined) return
    const mark = highWatermarks.get(`${partition}:${topic}`)
    if (mark === undefined) return
    const committed = tracker.lastCommitted(topic, partition)
    const base = committed === undefined ? mark.firstSeen : BigInt(committed)
    const lag = mark.high > base ? Number(mark.high - base) : 0
    const since = tracker.oldestUnfinishedAt(topic, partition)
    const oldestUnfinishedMs = since === undefined ? 0 : Math.max(0, Date.now() - since)
    options.onProgress({ topic, partition, highWatermark: mark.high.toString(), committed, lag, oldestUnfinishedMs })
  }

  /**
   * Reads the log end of every owned partition from the broker. Fetches update it too,
   * but a consumer whose slots are all held by stuck handlers stops fetching, and its lag
   * would freeze at the last value: the one moment a lag alert must see it grow.
   */
  async function refreshWatermarks (): Promise<void> {
    const client = session?.client
    const partitions = [...owned.values()]
    if (client === undefined || partitions.length === 0) return
    const byTopic: Record<string, number[]> = {}
    for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition)
    const topics = Object.keys(byTopic)
    const highs = await client.listOffsets({ topics, partitions: byTopic, timestamp: -1n })
    const unseen = partitions.filter((tp) => !highWatermarks.has(`${tp.partition}:${tp.topic}`))
    // A partition not fetched yet counts from the group's committed offset, as a fetch would start there.
    const committed = unseen.length === 0
      ? new Map<string, bigint[]>()
      : await client.listCommittedOffsets({ topics: [...new Set(unseen.map((tp) => tp.topic))].map((topic) => ({ topic, partitions: byTopic[topic] ?? [] })) })
    const lows = unseen.length > 0 && options.fromBeginning === true ? await client.listOffsets({ topics, partitions: byTopic, timestamp: -2n }) : undefined
    for (const { topic, partition } of partitions) {
      const key = `${partition}:${topic}`
      const high = highs.get(topic)?.[partition]
      if (high === undefined || !owned.has(key)) continue
      const mark = highWatermarks.get(key)
      if (mark !== undefined) {
        if (high > mark.high) mark.high = high
        continue
      }
      const offset = committed.get(topic)?.[partition]
      const start = offset !== undefined && offset >= 0n ? offset : (lows?.get(topic)?.[partition] ?? high)
      highWatermarks.set(key, { topic, partition, high, firstSeen: start })
    }
  }

  function scheduleProgress (): void {
    if (progressIntervalMs === 0 || options.onProgress === undefined || closing) return
    progressTimer = setTimeout(() => {
      progressTimer = undefined
      progressTick = refreshWatermarks()
        .catch((err: unknown) => {
          log.warn({ err }, 'reading the log end of the assigned partitions failed; reporting the last one known')
        })
        .then(() => { for (const { topic, partition } of owned.values()) reportProgress(topic, partition) })
        .finally(scheduleProgress)
    }, progressIntervalMs)
  }

  async function commitNow (): Promise<void> {
    const run = async (): Promise<void> => {
      const positions: CommitPosition[] = tracker.committable()
      if (positions.length === 0) return
      const client = session?.client
      if (client === undefined) {
        // Between a crash and the next client: the next round commits.
        scheduleCommit()
        return
      }
      try {
        // Leader epoch -1: the position is not tied to a leader epoch (as without KIP-320).
        await client.commit({ offsets: positions.map(({ topic, partition, offset }) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 })) })
        tracker.committed(positions)
        for (const position of positions) reportProgress(position.topic, position.partition)
        log.debug({ positions }, 'committed')
      } catch (err) {
        log.warn({ err, positions }, 'commit failed; retrying with the next one')
        scheduleCommit()
      }
    }
    commitChain = commitChain.then(run, run)
    return commitChain
  }

  function scheduleCommit (): void {
    if (commitTimer !== undefined || closing) return
    commitTimer = setTimeout(() => {
      commitTimer = undefined
      void commitNow()
    }, commitIntervalMs)
  }

  async function runHandler (run: MessageHandler, message: ConsumedMessage): Promise<void> {
    const at = { topic: message.topic, partition: message.partition, offset: message.offset }
    try {
      await retryUntilDone(async () => run(message, abort.signal), {
        signal: abort.signal,
        backoff: handlerBackoff,
        stop: () => closing,
        onRetry: (err, retryInMs) => { log.error({ err, ...at, retryInMs }, 'handler failed; running it again') }
      })
    } catch (err) {
      log.warn({ err, ...at }, 'handler failed during shutdown; the message stays uncommitted')
      return
    }
    tracker.finish(message.topic, message.partition, message.offset)
    scheduleCommit()
  }

  function dispatch (run: MessageHandler, message: ConsumedMessage): void {
    const task = runHandler(run, message).finally(() => {
      inFlight.delete(task)
      releaseSlot()
    })
    inFlight.add(task)
  }

  return {
    async start (messageHandler) {
      if (started) throw new Error('consumer already started')
      started = true
      handler = messageHandler
      const s = createSession()
      try {
        // The cluster answers and the topics exist before start() resolves; the group is
        // joined in the background, and a failure to join shows in isReady() and hasFailed().
        await s.client.metadata({ topics: [...options.topics] })
      } catch (err) {
        endSession(s)
        throw err
      }
      void consume(s)
      scheduleProgress()
    },

    async close (closeOptions = {}) {
      if (closing) return { abandoned: 0 }
      closing = true
      clearTimeout(commitTimer)
      commitTimer = undefined
      clearTimeout(progressTimer)
      progressTimer = undefined
      clearTimeout(restartTimer)
      restartTimer = undefined
      if (!started) return { abandoned: 0 }
      // Nothing new is handed out (see onMessage), and nothing more is fetched.
      for (const stream of session?.streams ?? []) stream.pause()
      const drainTimeoutMs = closeOptions.drainTimeoutMs ?? consumerDefaults.drainTimeoutMs
      let abandoned = 0
      if (!await settlesBefore(Promise.allSettled(inFlight), deadlineIn(drainTimeoutMs))) {
        abandoned = inFlight.size
        log.warn({ abandoned }, 'shutdown deadline reached; abandoning in-flight messages (they stay uncommitted)')
        abort.abort()
        // Handlers are asked to stop; one that ignores the signal is left behind.
        await settlesBefore(Promise.allSettled(inFlight), deadlineIn(consumerDefaults.abortGraceMs))
      }
      await commitNow()
      await progressTick
      const s = session
      if (s !== undefined) {
        s.ended = true
        session = undefined
        try {
          await closeClient(s)
        } catch (err) {
          log.warn({ err }, 'disconnect failed')
        }
      }
      joined = false
      return { abandoned }
    },

    isReady () {
      return started && joined && !crashed && !closing && session !== undefined
    },

    hasFailed () {
      return crashed
    },

    inFlight () {
      return inFlight.size
    },

    assignment () {
      return [...owned.values()].map(({ topic, partition }) => ({ topic, partition }))
    }
  }
}
