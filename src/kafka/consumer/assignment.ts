/** A topic-partition. */
export interface TopicPartition {
  topic: string
  partition: number
}

/** A partition this member owns, with the group generation that gave it to this member. */
export interface Owned extends TopicPartition {
  generation: number
}

/**
 * The partitions this member owns. A join replaces them: partitions kept keep the generation
 * they were first given in (their tracking stays, so a redelivered offset still running here is
 * not handed out twice), new ones get the join's generation, and the rest are revoked.
 */
export class Assignment {
  #owned = new Map<string, Owned>()

  /** Applies a join's assignments; answers the partitions gained and those revoked. */
  apply (assignments: ReadonlyArray<{ topic: string, partitions: number[] }>, generation: number): { gained: TopicPartition[], revoked: TopicPartition[] } {
    const next = new Map<string, Owned>()
    const gained: TopicPartition[] = []
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const key = keyOf(topic, partition)
        const kept = this.#owned.get(key)
        if (kept !== undefined) {
          next.set(key, kept)
          continue
        }
        next.set(key, { topic, partition, generation })
        gained.push({ topic, partition })
      }
    }
    const revoked = [...this.#owned].filter(([key]) => !next.has(key)).map(([, tp]) => ({ topic: tp.topic, partition: tp.partition }))
    this.#owned = next
    return { gained, revoked }
  }

  get (topic: string, partition: number): Owned | undefined {
    return this.#owned.get(keyOf(topic, partition))
  }

  has (topic: string, partition: number): boolean {
    return this.#owned.has(keyOf(topic, partition))
  }

  list (): TopicPartition[] {
    return [...this.#owned.values()].map(({ topic, partition }) => ({ topic, partition }))
  }
}

/** The key of a topic-partition in the maps of this folder. */
export function keyOf (topic: string, partition: number): string {
  return `${partition}:${topic}`
}
