import { defaultBackoff } from '../../backoff.js'
import type { Logger } from '../../logger.js'
import { decodeHeaders } from '../client.js'
import type { KafkaSecurity } from '../client.js'
import { consumerDefaults } from '../options.js'
import { Assignment } from './assignment.js'
import { Committer } from './commits.js'
import { HandlerRunner } from './handlers.js'
import type { MessageHandler } from './handlers.js'
import { createOffsetTracker } from './offset-tracker.js'
import { ProgressReporter } from './progress.js'
import type { PartitionProgress } from './progress.js'
import { ConsumerSessions } from './session.js'
import type { ClientMessage, FetchWatchingConsumer } from './session.js'

export type { ConsumedMessage, MessageHandler } from './handlers.js'
export type { PartitionProgress } from './progress.js'
export { createOffsetTracker } from './offset-tracker.js'
export type { CommitPosition, OffsetTracker } from './offset-tracker.js'

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
  /** Messages handled at once, across all partitions of this consumer. Default 1 (strict order; options.ts). */
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
   * from the broker. Default: options.ts; 0 reports only on fetches and commits.
   */
  progressIntervalMs?: number
  logger: Logger
  onProgress?: (progress: PartitionProgress) => void
  /** TLS and SASL (resolved by security.ts); plaintext when undefined. */
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

/**
 * A consumer-group member that runs a bounded number of messages concurrently and
 * commits at least once.
 *
 * A client's own commit model (commit what was fetched, or the highest offset resolved) would
 * commit past a message that is still running whenever a later one finishes first. Here every
 * delivered offset goes through an OffsetTracker, and only the contiguous prefix of finished
 * messages is ever committed, per topic-partition (commits.ts); commits are always explicit.
 * When every slot is taken the streams are paused (handlers.ts), which stops fetching; the client
 * heartbeats on its own meanwhile, so a slow handler does not cost the membership. A crashed
 * client is replaced (session.ts); the lag and age of each partition are reported (progress.ts).
 */
export function createEventConsumer (options: EventConsumerOptions): EventConsumer {
  const log = options.logger.child({ module: 'kafka-consumer', group: options.groupId })
  const { tracker, assignment, sessions, progress, commits, handlers } = assemble(options, log, onJoin, onMessage)
  let handler: MessageHandler | undefined
  let closing = false

  function onJoin (client: FetchWatchingConsumer, assignments: ReadonlyArray<{ topic: string, partitions: number[] }>): void {
    const { gained, revoked } = assignment.apply(assignments, client.generationId)
    // A partition this member read before and lost: the stream's next position for it may be
    // past messages that never finished here, so it starts again from the committed offset.
    for (const { topic, partition } of gained) sessions.refetchFromCommitted(topic, partition)
    // Revoked partitions belong to another member now; what ran here and was not committed
    // will run there again. Partitions kept keep their tracking: redelivered offsets that
    // are still running (or finished, uncommitted) here are not handed out twice.
    tracker.reset(revoked)
    progress.forget(revoked)
    sessions.markJoined()
    log.info({ assignment: Object.fromEntries(assignments.map((a) => [a.topic, a.partitions])) }, 'joined consumer group')
  }

  function onMessage (message: ClientMessage): void {
    if (handler === undefined) return
    const { topic, partition } = message
    const tp = assignment.get(topic, partition)
    // Fetched while this member did not own the partition (before it was revoked and given back,
    // or after it was revoked): the stream reads it again from the committed offset.
    const generation = (message.metadata.consumer as { generationId?: number } | undefined)?.generationId ?? 0
    if (tp === undefined || generation < tp.generation) return
    const offset = message.offset.toString()
    // Already handed out before a rejoin: it is running or finished, not lost.
    if (!tracker.begin(topic, partition, offset)) return
    handlers.run(handler, {
      topic,
      partition,
      offset,
      key: message.key ?? null,
      value: message.value ?? null,
      timestamp: message.timestamp.toString(),
      headers: decodeHeaders(message.headers)
    })
  }

  return {
    async start (messageHandler) {
      if (handler !== undefined) throw new Error('consumer already started')
      handler = messageHandler
      // The cluster answers and the topics exist before start() resolves; the group is
      // joined in the background, and a failure to join shows in isReady() and hasFailed().
      await sessions.start()
      progress.start()
    },

    async close (closeOptions = {}) {
      if (closing) return { abandoned: 0 }
      closing = true
      sessions.stop()
      commits.stop()
      handlers.stop()
      const progressStopped = progress.stop()
      if (handler === undefined) return { abandoned: 0 }
      // Nothing new is handed out, and nothing more is fetched.
      sessions.pause()
      const abandoned = await handlers.drain(closeOptions.drainTimeoutMs ?? consumerDefaults.drainTimeoutMs)
      await commits.commitNow()
      await progressStopped
      await sessions.close().catch((err: unknown) => { log.warn({ err }, 'disconnect failed') })
      return { abandoned }
    },

    isReady: () => handler !== undefined && sessions.joined && !sessions.crashed && !closing && sessions.client !== undefined,
    hasFailed: () => sessions.crashed,
    inFlight: () => handlers.inFlight,
    assignment: () => assignment.list()
  }
}

/** The member's parts, with the defaults of options.ts, wired to each other. */
function assemble (options: EventConsumerOptions, log: Logger, onJoin: SessionsHooks['onJoin'], onMessage: SessionsHooks['onMessage']) {
  const concurrency = options.concurrency ?? consumerDefaults.concurrency
  const tracker = createOffsetTracker()
  const assignment = new Assignment()
  const sessions: ConsumerSessions = new ConsumerSessions({
    brokers: options.brokers,
    clientId: options.clientId,
    groupId: options.groupId,
    topics: options.topics,
    topicsFromBeginning: options.topicsFromBeginning ?? [],
    fromBeginning: options.fromBeginning === true,
    security: options.security,
    sessionTimeoutMs: options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? consumerDefaults.heartbeatIntervalMs,
    maxWaitTimeMs: options.maxWaitTimeMs ?? consumerDefaults.maxWaitTimeMs,
    fetchMaxBytes: options.fetchMaxBytes ?? consumerDefaults.fetchMaxBytes,
    concurrency,
    log,
    onFetched: (client, response) => { progress.onFetched(client, response) },
    onJoin,
    onMessage
  })
  const client = (): FetchWatchingConsumer | undefined => sessions.client
  const progress = new ProgressReporter({
    onProgress: options.onProgress,
    intervalMs: options.progressIntervalMs ?? consumerDefaults.progressIntervalMs,
    fromBeginning: options.fromBeginning === true,
    tracker,
    assignment,
    client,
    log
  })
  const commits = new Committer({
    intervalMs: options.commitIntervalMs ?? consumerDefaults.commitIntervalMs,
    tracker,
    client,
    onCommitted: (position) => { progress.report(position.topic, position.partition) },
    log
  })
  const handlers = new HandlerRunner({
    concurrency,
    backoff: { initialMs: options.handlerRetryDelayMs ?? defaultBackoff.initialMs, maxMs: defaultBackoff.maxMs },
    tracker,
    log,
    onFinished: () => { commits.schedule() },
    pause: () => { sessions.pause() },
    resume: () => { sessions.resume() }
  })
  return { tracker, assignment, sessions, progress, commits, handlers }
}

type SessionsHooks = ConstructorParameters<typeof ConsumerSessions>[0]
