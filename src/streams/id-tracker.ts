import type { IdEntry } from './positions.js'

/** Where one assigned partition stands for one client. */
export interface PartitionStart {
  topic: string
  partition: number
  /** The offset reading starts at, in this cluster. */
  offset: number
  /** Position as a timestamp (resume on another cluster): read from the first record >= it ... */
  timestamp: number
  /** ... skipping this many records at exactly `timestamp`, which were already passed. */
  seen: number
  /** Records at `timestamp` to skip before delivering (a timestamp resume). */
  skip: number
  /** EventStreams' id entry for the partition before it delivers anything. */
  compatibleSeed: IdEntry
}

export interface IdTracker {
  /** Moves the partition past `record`; false when the record was already passed before a resume and must not be sent again. */
  pass(record: { topic: string, partition: number, offset: number, timestamp: number }): boolean
  /** The id of the client's position now: a JSON array with one entry per assigned partition, in assignment order. */
  id(): string
}

interface State extends PartitionStart {
  delivered: boolean
  /** The entry's JSON, recomputed only when the partition moved. */
  text: string | undefined
}

/**
 * Tracks a client's position in every assigned partition and writes it as a Last-Event-ID.
 * Sluice's entries carry the next offset with the cluster it belongs to, and the timestamp of
 * the last record passed with how many records at that millisecond were passed, so a resume on
 * the same cluster is exact and one on another cluster neither skips records sharing a
 * millisecond nor repeats them. With `compatible`, entries are EventStreams' own:
 * `{timestamp: last + 1}` once a partition delivered, its seed (`offset`) before.
 */
export function createIdTracker (starts: readonly PartitionStart[], options: { cluster: string, compatible: boolean }): IdTracker {
  // By topic, then partition: a lookup per record and client, without building a key string.
  const states = new Map<string, Array<State | undefined>>()
  const ordered: State[] = []
  for (const start of starts) {
    const state: State = { ...start, delivered: false, text: undefined }
    let partitions = states.get(start.topic)
    if (partitions === undefined) states.set(start.topic, partitions = [])
    const before = partitions[start.partition]
    partitions[start.partition] = state
    // A partition given twice keeps its first place, with the last start (as a Map would).
    if (before === undefined) ordered.push(state)
    else ordered[ordered.indexOf(before)] = state
  }
  let cached: string | undefined

  // Entries are written often (every event, every client): built from parts whose JSON is known.
  const clusterJson = JSON.stringify(options.cluster)
  const topicJson = new Map(starts.map((s) => [s.topic, JSON.stringify(s.topic)]))
  const entryText = (s: State): string => {
    if (options.compatible) {
      return JSON.stringify(s.delivered ? { topic: s.topic, partition: s.partition, timestamp: s.timestamp + 1 } : s.compatibleSeed)
    }
    const seen = s.seen > 0 ? `,"seen":${s.seen}` : ''
    return `{"topic":${topicJson.get(s.topic)!},"partition":${s.partition},"offset":${s.offset},"timestamp":${s.timestamp}${seen},"cluster":${clusterJson}}`
  }

  return {
    pass (record) {
      const s = states.get(record.topic)?.[record.partition]
      if (s === undefined) return true
      s.text = undefined
      cached = undefined
      if (s.skip > 0) {
        if (record.timestamp === s.timestamp) {
          s.skip--
          s.offset = record.offset + 1
          return false
        }
        s.skip = 0
      }
      if (record.timestamp === s.timestamp) s.seen++
      else {
        s.timestamp = record.timestamp
        s.seen = 1
      }
      s.offset = record.offset + 1
      s.delivered = true
      return true
    },
    id () {
      if (cached !== undefined) return cached
      let out = '['
      for (let i = 0; i < ordered.length; i++) {
        const s = ordered[i]!
        s.text ??= entryText(s)
        out += i === 0 ? s.text : `,${s.text}`
      }
      cached = `${out}]`
      return cached
    }
  }
}
