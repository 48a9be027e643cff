import type { Logger } from '../../logger.js'
import type { Assignment, TopicPartition } from './assignment.js'
import { keyOf } from './assignment.js'
import type { OffsetTracker } from './offset-tracker.js'
import type { FetchResult, FetchWatchingConsumer } from './session.js'

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

export interface ProgressOptions {
  /** Undefined: nothing is reported, and nothing is read for it. */
  onProgress: ((progress: PartitionProgress) => void) | undefined
  /** How often the log ends are read from the broker; 0 reports only on fetches and commits. */
  intervalMs: number
  /** Where a new group starts: its first positions count from the log start then. */
  fromBeginning: boolean
  tracker: OffsetTracker
  assignment: Assignment
  /** The current client, if any. */
  client: () => FetchWatchingConsumer | undefined
  log: Logger
}

interface Watermark extends TopicPartition {
  high: bigint
  /** Where the lag counts from before anything was committed. */
  firstSeen: bigint
}

/** The lag and age of every owned partition: from the fetch responses, and read from the broker now and then. */
export class ProgressReporter {
  readonly #options: ProgressOptions
  readonly #marks = new Map<string, Watermark>()
  #timer: NodeJS.Timeout | undefined
  #tick: Promise<void> = Promise.resolve()
  #stopped = false

  constructor (options: ProgressOptions) {
    this.#options = options
  }

  /** Log end offsets of the partitions of one Fetch response, reported as progress. */
  onFetched (client: FetchWatchingConsumer, response: FetchResult): void {
    const metadata = client.currentMetadata
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
        const key = keyOf(topic, part.partitionIndex)
        if (part.errorCode !== 0 || !this.#options.assignment.has(topic, part.partitionIndex)) continue
        const mark = this.#marks.get(key)
        if (mark === undefined) {
          const first = part.records?.[0]?.firstOffset
          this.#marks.set(key, { topic, partition: part.partitionIndex, high: part.highWatermark, firstSeen: first ?? part.highWatermark })
        } else if (part.highWatermark > mark.high) {
          mark.high = part.highWatermark
        }
        this.report(topic, part.partitionIndex)
      }
    }
  }

  report (topic: string, partition: number): void {
    const { onProgress, tracker } = this.#options
    if (onProgress === undefined) return
    const mark = this.#marks.get(keyOf(topic, partition))
    if (mark === undefined) return
    const committed = tracker.lastCommitted(topic, partition)
    const base = committed === undefined ? mark.firstSeen : BigInt(committed)
    const lag = mark.high > base ? Number(mark.high - base) : 0
    const since = tracker.oldestUnfinishedAt(topic, partition)
    const oldestUnfinishedMs = since === undefined ? 0 : Math.max(0, Date.now() - since)
    onProgress({ topic, partition, highWatermark: mark.high.toString(), committed, lag, oldestUnfinishedMs })
  }

  /** Revoked partitions: another member reports them now. */
  forget (partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.#marks.delete(keyOf(topic, partition))
  }

  /** Reads the log ends every intervalMs from now on. */
  start (): void {
    if (this.#stopped || this.#options.intervalMs === 0 || this.#options.onProgress === undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#tick = this.#refresh()
        .catch((err: unknown) => {
          this.#options.log.warn({ err }, 'reading the log end of the assigned partitions failed; reporting the last one known')
        })
        .then(() => { for (const { topic, partition } of this.#options.assignment.list()) this.report(topic, partition) })
        .finally(() => { this.start() })
    }, this.#options.intervalMs)
  }

  /** No more reads; resolves once the one under way (if any) is over. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#tick
  }

  /**
   * Reads the log end of every owned partition from the broker. Fetches update it too,
   * but a consumer whose slots are all held by stuck handlers stops fetching, and its lag
   * would freeze at the last value: the one moment a lag alert must see it grow.
   */
  async #refresh (): Promise<void> {
    const client = this.#options.client()
    const partitions = this.#options.assignment.list()
    if (client === undefined || partitions.length === 0) return
    const byTopic: Record<string, number[]> = {}
    for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition)
    const topics = Object.keys(byTopic)
    const highs = await client.listOffsets({ topics, partitions: byTopic, timestamp: -1n })
    const unseen = partitions.filter((tp) => !this.#marks.has(keyOf(tp.topic, tp.partition)))
    // A partition not fetched yet counts from the group's committed offset, as a fetch would start there.
    const committed = unseen.length === 0
      ? new Map<string, bigint[]>()
      : await client.listCommittedOffsets({ topics: [...new Set(unseen.map((tp) => tp.topic))].map((topic) => ({ topic, partitions: byTopic[topic] ?? [] })) })
    const lows = unseen.length > 0 && this.#options.fromBeginning ? await client.listOffsets({ topics, partitions: byTopic, timestamp: -2n }) : undefined
    for (const { topic, partition } of partitions) {
      const key = keyOf(topic, partition)
      const high = highs.get(topic)?.[partition]
      if (high === undefined || !this.#options.assignment.has(topic, partition)) continue
      const mark = this.#marks.get(key)
      if (mark !== undefined) {
        if (high > mark.high) mark.high = high
        continue
      }
      const offset = committed.get(topic)?.[partition]
      const start = offset !== undefined && offset >= 0n ? offset : (lows?.get(topic)?.[partition] ?? high)
      this.#marks.set(key, { topic, partition, high, firstSeen: start })
    }
  }
}
