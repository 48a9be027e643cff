/** A position to commit: the offset of the next message to read, as Kafka wants it. */
export interface CommitPosition {
  topic: string
  partition: number
  /** `last finished offset + 1`, as a decimal string (Kafka offsets are int64). */
  offset: string
}

export interface OffsetTracker {
  /**
   * Records that `offset` was handed to a worker. Offsets of one partition must be
   * begun in increasing order; returns false (and tracks nothing) for an offset at or
   * below one already begun, so a redelivered message is not tracked twice. `at` is when it
   * was handed out (milliseconds), for `oldestUnfinishedAt`.
   */
  begin (topic: string, partition: number, offset: string, at?: number): boolean
  /** Records that the message at `offset` reached its final, durable outcome. */
  finish (topic: string, partition: number, offset: string): void
  /**
   * The partitions whose committable position moved past what was last committed,
   * each with the position to commit. Does not change state: call `committed` once
   * the broker has acknowledged the commit.
   */
  committable (): CommitPosition[]
  /** Records positions the broker acknowledged. */
  committed (positions: readonly CommitPosition[]): void
  /** Forgets partitions (revoked in a rebalance, or all of them when omitted). */
  reset (partitions?: ReadonlyArray<{ topic: string, partition: number }>): void
  /** Messages begun and not yet finished, in one partition or in all. */
  inFlight (topic?: string, partition?: number): number
  /** The last acknowledged position of a partition, if any. */
  lastCommitted (topic: string, partition: number): string | undefined
  /**
   * When the oldest message of a partition that is still unfinished was begun (the one
   * holding its commits back), or undefined when none is.
   */
  oldestUnfinishedAt (topic: string, partition: number): number | undefined
}

interface PartitionState {
  topic: string
  partition: number
  // Begun offsets in order; `head` skips the ones already released to the watermark
  // so the array is compacted only now and then, not on every finish.
  offsets: bigint[]
  /** When each of `offsets` was begun, at the same index. */
  begunAt: number[]
  finished: Set<bigint>
  head: number
  lastBegun: bigint
  // Highest offset whose predecessors (among begun offsets) all finished.
  lastContiguous: bigint | undefined
  lastCommitted: bigint | undefined
}

/**
 * Tracks, per topic-partition, which delivered messages have finished, and computes the
 * position that is safe to commit: just past the longest finished prefix of delivered
 * offsets. A message that is still running holds the watermark back even when later
 * ones have finished, so a crash never skips it; work after it is redone instead.
 *
 * Only delivered offsets count. Kafka offsets are not dense (compaction, transaction
 * markers), so "contiguous" means "no unfinished delivered message before it", not
 * `offset - 1` finished.
 */
export function createOffsetTracker (): OffsetTracker {
  return new PartitionTracker()
}

class PartitionTracker implements OffsetTracker {
  readonly #partitions = new Map<string, PartitionState>()

  begin (topic: string, partition: number, offset: string, at = Date.now()): boolean {
    const value = BigInt(offset)
    const key = keyOf(topic, partition)
    let state = this.#partitions.get(key)
    if (state === undefined) {
      state = { topic, partition, offsets: [], begunAt: [], finished: new Set(), head: 0, lastBegun: -1n, lastContiguous: undefined, lastCommitted: undefined }
      this.#partitions.set(key, state)
    } else if (value <= state.lastBegun) {
      return false
    }
    state.lastBegun = value
    state.offsets.push(value)
    state.begunAt.push(at)
    return true
  }

  finish (topic: string, partition: number, offset: string): void {
    const state = this.#partitions.get(keyOf(topic, partition))
    if (state === undefined) return
    const value = BigInt(offset)
    // Ignore offsets this generation of the partition never began (a finish that
    // arrives after a reset, or twice).
    if (value > state.lastBegun || (state.lastContiguous !== undefined && value <= state.lastContiguous)) return
    state.finished.add(value)
    advance(state)
  }

  committable (): CommitPosition[] {
    const positions: CommitPosition[] = []
    for (const state of this.#partitions.values()) {
      if (state.lastContiguous === undefined) continue
      const next = state.lastContiguous + 1n
      if (state.lastCommitted !== undefined && next <= state.lastCommitted) continue
      positions.push({ topic: state.topic, partition: state.partition, offset: next.toString() })
    }
    return positions
  }

  committed (positions: readonly CommitPosition[]): void {
    for (const position of positions) {
      const state = this.#partitions.get(keyOf(position.topic, position.partition))
      if (state === undefined) continue
      const value = BigInt(position.offset)
      if (state.lastCommitted === undefined || value > state.lastCommitted) state.lastCommitted = value
    }
  }

  reset (list?: ReadonlyArray<{ topic: string, partition: number }>): void {
    if (list === undefined) {
      this.#partitions.clear()
      return
    }
    for (const { topic, partition } of list) this.#partitions.delete(keyOf(topic, partition))
  }

  inFlight (topic?: string, partition?: number): number {
    let count = 0
    for (const state of this.#partitions.values()) {
      if (topic !== undefined && state.topic !== topic) continue
      if (partition !== undefined && state.partition !== partition) continue
      count += state.offsets.length - state.head - state.finished.size
    }
    return count
  }

  lastCommitted (topic: string, partition: number): string | undefined {
    return this.#partitions.get(keyOf(topic, partition))?.lastCommitted?.toString()
  }

  oldestUnfinishedAt (topic: string, partition: number): number | undefined {
    const state = this.#partitions.get(keyOf(topic, partition))
    // `advance` leaves the first unfinished begun offset at `head`.
    return state === undefined ? undefined : state.begunAt[state.head]
  }
}

function keyOf (topic: string, partition: number): string {
  return `${partition}\u0000${topic}`
}

/** Moves the watermark past the finished offsets at the head; compacts now and then, not on every finish. */
function advance (state: PartitionState): void {
  while (state.head < state.offsets.length) {
    const offset = state.offsets[state.head] as bigint
    if (!state.finished.has(offset)) break
    state.finished.delete(offset)
    state.lastContiguous = offset
    state.head++
  }
  if (state.head > 1024 && state.head * 2 > state.offsets.length) {
    state.offsets = state.offsets.slice(state.head)
    state.begunAt = state.begunAt.slice(state.head)
    state.head = 0
  }
}
