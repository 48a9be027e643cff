import { setMaxListeners } from 'node:events'
import type { Admin, Batch, Consumer, IHeaders, KafkaMessage } from 'kafkajs'
import type { Logger } from '../logger.js'
import { createKafkaClient } from './client.js'
import type { CommitPosition } from './offset-tracker.js'
import { createOffsetTracker } from './offset-tracker.js'
import { defaultBackoff, retryUntilDone } from '../backoff.js'
import { consumerConfigSchema } from './consumer-schema.js'

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
  // Defaults of the four above: consumer-schema.ts, shared with the services' config schemas.
  /** How long the broker may hold a fetch open when there is nothing to read. Default 1000. */
  maxWaitTimeMs?: number
  /** First back-off after a handler rejected (the policy of src/backoff.ts: doubling up to 5 s). Default 100. */
  handlerRetryDelayMs?: number
  /**
   * How often the progress of every assigned partition is reported, with its log end read
   * from the broker. Default 10000; 0 reports only on fetches and commits.
   */
  progressIntervalMs?: number
  logger: Logger
  onProgress?: (progress: PartitionProgress) => void
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
  /** true once kafkajs gave up on the consumer (a crash it does not restart from). */
  hasFailed(): boolean
  /** Messages handed to the handler and not finished yet. */
  inFlight(): number
  /** The topic-partitions currently assigned to this consumer. */
  assignment(): Array<{ topic: string, partition: number }>
}

/**
 * A consumer-group member that runs a bounded number of messages concurrently and
 * commits at least once.
 *
 * kafkajs's own commit model (resolve an offset, auto-commit the highest resolved one)
 * would commit past a message that is still running whenever a later one finishes first.
 * Here every delivered offset goes through an OffsetTracker, and only the contiguous
 * prefix of finished messages is ever committed, per topic-partition. Offsets are
 * "resolved" towards kafkajs as soon as a message is handed out, which only moves the
 * fetch position; commits are always explicit.
 */
export function createEventConsumer (options: EventConsumerOptions): EventConsumer {
  const log = options.logger.child({ module: 'kafka-consumer', group: options.groupId })
  const concurrency = options.concurrency ?? 1
  const commitIntervalMs = options.commitIntervalMs ?? consumerConfigSchema.commit_interval_ms.default
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? consumerConfigSchema.heartbeat_interval_ms.default
  const handlerBackoff = { initialMs: options.handlerRetryDelayMs ?? defaultBackoff.initialMs, maxMs: defaultBackoff.maxMs }
  const kafka = createKafkaClient({ brokers: options.brokers, clientId: options.clientId, logger: options.logger })
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? consumerConfigSchema.session_timeout_ms.default,
    heartbeatInterval: heartbeatIntervalMs,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
    allowAutoTopicCreation: false
  })
  const tracker = createOffsetTracker()
  const inFlight = new Set<Promise<void>>()
  const abort = new AbortController()
  // Every in-flight handler may listen on it (its HTTP request, its retry wait).
  setMaxListeners(0, abort.signal)
  const slotWaiters: Array<() => void> = []
  const highWatermarks = new Map<string, { topic: string, partition: number, high: bigint, firstSeen: bigint }>()
  let assigned: Array<{ topic: string, partition: number }> = []
  let running = 0
  let joined = false
  let crashed = false
  let closing = false
  let started = false
  let commitTimer: NodeJS.Timeout | undefined
  let commitChain: Promise<void> = Promise.resolve()
  const progressIntervalMs = options.progressIntervalMs ?? consumerConfigSchema.progress_interval_ms.default
  let progressTimer: NodeJS.Timeout | undefined
  let progressTick: Promise<void> = Promise.resolve()
  let admin: Admin | undefined

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const next: Array<{ topic: string, partition: number }> = []
    for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
      for (const partition of partitions) next.push({ topic, partition })
    }
    // Revoked partitions belong to another member now; what ran here and was not committed
    // will run there again. Partitions kept keep their tracking: redelivered offsets that
    // are still running (or finished, uncommitted) here are not handed out twice.
    const keep = new Set(next.map((tp) => `${tp.partition}:${tp.topic}`))
    const revoked = assigned.filter((tp) => !keep.has(`${tp.partition}:${tp.topic}`))
    tracker.reset(revoked)
    for (const tp of revoked) highWatermarks.delete(`${tp.partition}:${tp.topic}`)
    assigned = next
    joined = true
    crashed = false
    log.info({ assignment: event.payload.memberAssignment }, 'joined consumer group')
  })
  consumer.on(consumer.events.CRASH, (event) => {
    joined = false
    crashed = !event.payload.restart
    log.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed')
  })
  consumer.on(consumer.events.REBALANCING, () => {
    joined = false
  })

  function releaseSlot (): void {
    running--
    slotWaiters.shift()?.()
  }

  /** Waits for a free slot, heartbeating meanwhile; false when closing. */
  async function acquireSlot (heartbeat: () => Promise<void>): Promise<boolean> {
    while (running >= concurrency) {
      if (closing) return false
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const index = slotWaiters.indexOf(wake)
          if (index >= 0) slotWaiters.splice(index, 1)
          resolve()
        }, heartbeatIntervalMs)
        const wake = (): void => { clearTimeout(timer); resolve() }
        slotWaiters.push(wake)
      })
      if (closing) return false
      // A rebalance surfaces here as an error, which hands control back to kafkajs to rejoin.
      await heartbeat()
    }
    if (closing) return false
    running++
    return true
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
   * Reads the log end of every assigned partition from the broker. Fetches update it too,
   * but a consumer whose slots are all held by stuck handlers stops fetching, and its lag
   * would freeze at the last value: the one moment a lag alert must see it grow.
   */
  async function refreshWatermarks (): Promise<void> {
    const topics = [...new Set(assigned.map((tp) => tp.topic))]
    if (topics.length === 0) return
    if (admin === undefined) {
      const connecting = kafka.admin()
      await connecting.connect()
      admin = connecting
    }
    const unseen = assigned.filter((tp) => !highWatermarks.has(`${tp.partition}:${tp.topic}`))
    // A partition not fetched yet counts from the group's committed offset, as a fetch would start there.
    const groupOffsets = unseen.length === 0 ? [] : await admin.fetchOffsets({ groupId: options.groupId, topics: [...new Set(unseen.map((tp) => tp.topic))] })
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const key = `${partition}:${topic}`
        if (!assigned.some((tp) => tp.topic === topic && tp.partition === partition)) continue
        const mark = highWatermarks.get(key)
        if (mark !== undefined) {
          if (BigInt(high) > mark.high) mark.high = BigInt(high)
          continue
        }
        const committed = groupOffsets.find((entry) => entry.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset
        const start = committed !== undefined && BigInt(committed) >= 0n ? committed : options.fromBeginning === true ? low : high
        highWatermarks.set(key, { topic, partition, high: BigInt(high), firstSeen: BigInt(start) })
      }
    }
  }

  function scheduleProgress (): void {
    if (progressIntervalMs === 0 || options.onProgress === undefined || closing) return
    progressTimer = setTimeout(() => {
      progressTimer = undefined
      progressTick = refreshWatermarks()
        .catch((err: unknown) => {
          const stale = admin
          admin = undefined
          void stale?.disconnect().catch(() => undefined)
          log.warn({ err }, 'reading the log end of the assigned partitions failed; reporting the last one known')
        })
        .then(() => { for (const { topic, partition } of assigned) reportProgress(topic, partition) })
        .finally(scheduleProgress)
    }, progressIntervalMs)
  }

  async function commitNow (): Promise<void> {
    const run = async (): Promise<void> => {
      const positions: CommitPosition[] = tracker.committable()
      if (positions.length === 0) return
      try {
        await consumer.commitOffsets(positions.map(({ topic, partition, offset }) => ({ topic, partition, offset })))
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

  async function runHandler (handler: MessageHandler, message: ConsumedMessage): Promise<void> {
    const at = { topic: message.topic, partition: message.partition, offset: message.offset }
    try {
      await retryUntilDone(async () => handler(message, abort.signal), {
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

  function dispatch (handler: MessageHandler, topic: string, partition: number, message: KafkaMessage): void {
    const consumed: ConsumedMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ?? null,
      value: message.value ?? null,
      timestamp: message.timestamp,
      headers: decodeHeaders(message.headers)
    }
    const task = runHandler(handler, consumed).finally(() => {
      inFlight.delete(task)
      releaseSlot()
    })
    inFlight.add(task)
  }

  async function eachBatch (handler: MessageHandler, batch: Batch, resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>, isRunning: () => boolean, isStale: () => boolean): Promise<void> {
    const { topic, partition } = batch
    const key = `${partition}:${topic}`
    const first = batch.messages[0]
    const mark = highWatermarks.get(key)
    const high = BigInt(batch.highWatermark)
    if (mark === undefined) {
      highWatermarks.set(key, { topic, partition, high, firstSeen: first === undefined ? high : BigInt(first.offset) })
    } else {
      mark.high = high
    }
    reportProgress(topic, partition)
    for (const message of batch.messages) {
      if (closing || !isRunning() || isStale()) return
      if (!await acquireSlot(heartbeat)) return
      if (!tracker.begin(topic, partition, message.offset)) {
        // Already handed out before a rejoin: it is running or finished, not lost.
        releaseSlot()
        resolveOffset(message.offset)
        continue
      }
      resolveOffset(message.offset)
      dispatch(handler, topic, partition, message)
    }
  }

  return {
    async start (handler) {
      if (started) throw new Error('consumer already started')
      started = true
      await consumer.connect()
      const late = new Set(options.topicsFromBeginning ?? [])
      const usual = options.topics.filter((topic) => !late.has(topic))
      const fresh = options.topics.filter((topic) => late.has(topic))
      // kafkajs keeps fromBeginning per topic, for topics the group has no committed offset of.
      if (usual.length > 0) await consumer.subscribe({ topics: usual, fromBeginning: options.fromBeginning ?? false })
      if (fresh.length > 0) await consumer.subscribe({ topics: fresh, fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          eachBatch(handler, batch, resolveOffset, heartbeat, isRunning, isStale)
      })
      scheduleProgress()
    },

    async close (closeOptions = {}) {
      if (closing) return { abandoned: 0 }
      closing = true
      for (const wake of slotWaiters.splice(0)) wake()
      clearTimeout(commitTimer)
      commitTimer = undefined
      clearTimeout(progressTimer)
      progressTimer = undefined
      if (!started) return { abandoned: 0 }
      try {
        if (assigned.length > 0) consumer.pause(topicsOf(assigned))
      } catch (err) {
        log.debug({ err }, 'pause before close failed')
      }
      const drainTimeoutMs = closeOptions.drainTimeoutMs ?? 10000
      let abandoned = 0
      if (!await settleWithin([...inFlight], drainTimeoutMs)) {
        abandoned = inFlight.size
        log.warn({ abandoned }, 'shutdown deadline reached; abandoning in-flight messages (they stay uncommitted)')
        abort.abort()
        // Handlers are asked to stop; one that ignores the signal is left behind.
        await settleWithin([...inFlight], 1000)
      }
      await commitNow()
      await progressTick
      try {
        await Promise.all([consumer.disconnect(), admin?.disconnect()])
      } catch (err) {
        log.warn({ err }, 'disconnect failed')
      }
      joined = false
      return { abandoned }
    },

    isReady () {
      return started && joined && !crashed && !closing
    },

    hasFailed () {
      return crashed
    },

    inFlight () {
      return inFlight.size
    },

    assignment () {
      return assigned.map((tp) => ({ ...tp }))
    }
  }
}

async function settleWithin (tasks: Array<Promise<unknown>>, timeoutMs: number): Promise<boolean> {
  if (tasks.length === 0) return true
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })
  try {
    return await Promise.race([Promise.allSettled(tasks).then(() => true), deadline])
  } finally {
    clearTimeout(timer)
  }
}

function topicsOf (list: ReadonlyArray<{ topic: string, partition: number }>): Array<{ topic: string, partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of list) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
}

function decodeHeaders (headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first)
  }
  return out
}

/** Names of the topics on the cluster (internal ones excluded). */
export async function listTopics (brokers: readonly string[], options: { clientId: string, logger: Logger }): Promise<string[]> {
  const admin = createKafkaClient({ brokers, clientId: options.clientId, logger: options.logger }).admin()
  await admin.connect()
  try {
    return (await admin.listTopics()).filter((name) => !name.startsWith('__')).sort()
  } finally {
    await admin.disconnect()
  }
}
