import type { StreamRecord } from '../kafka/index.js'

export interface TimeOrder {
  /**
   * Queues records (of one partition or of several, each in offset order); resolves once every
   * queue they went to is short enough to read more.
   */
  add(records: readonly StreamRecord[]): Promise<void> | undefined
  close(): void
}

interface Queue { records: StreamRecord[], head: number, waiting: Array<() => void>, arrived: number[] }

/** A partition's queue holds this many records before its reader waits. */
const maxQueued = 2000

/**
 * `?order=time`: merges the partitions (and datacenters) by record timestamp. The earliest
 * queued record is sent once every partition has one queued to compare with, or once it waited
 * `windowMs` for a partition that has nothing to say; so the output is in time order except
 * for records more than the window late. Readers wait while their partition's queue is full.
 */
export function createTimeOrder (partitions: ReadonlyArray<{ topic: string, partition: number }>, windowMs: number, emit: (record: StreamRecord) => void): TimeOrder {
  const queues = new Map<string, Queue>()
  for (const p of partitions) queues.set(`${p.topic}/${p.partition}`, { records: [], head: 0, waiting: [], arrived: [] })
  const all = [...queues.values()]
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const size = (q: Queue): number => q.records.length - q.head

  const earliest = (): Queue | undefined => {
    let best: Queue | undefined
    for (const q of all) {
      if (size(q) === 0) continue
      if (best === undefined || q.records[q.head]!.timestamp < best.records[best.head]!.timestamp) best = q
    }
    return best
  }

  const take = (q: Queue): void => {
    const record = q.records[q.head]!
    q.head++
    if (q.head > 1024 && q.head * 2 > q.records.length) {
      q.records = q.records.slice(q.head)
      q.arrived = q.arrived.slice(q.head)
      q.head = 0
    }
    emit(record)
    if (size(q) < maxQueued / 2) for (const wake of q.waiting.splice(0)) wake()
  }

  const flush = (): void => {
    if (closed) return
    const now = Date.now()
    for (;;) {
      const q = earliest()
      if (q === undefined) return
      const everyoneHasOne = all.every((other) => size(other) > 0)
      const waited = now - q.arrived[q.head]!
      if (!everyoneHasOne && waited < windowMs) {
        timer ??= setTimeout(() => { timer = undefined; flush() }, windowMs - waited)
        timer.unref()
        return
      }
      take(q)
    }
  }

  return {
    add (records) {
      if (records.length === 0 || closed) return undefined
      const now = Date.now()
      const touched = new Set<Queue>()
      let q: Queue | undefined
      let last: StreamRecord | undefined
      for (const r of records) {
        if (last === undefined || r.partition !== last.partition || r.topic !== last.topic) q = queues.get(`${r.topic}/${r.partition}`)
        last = r
        if (q === undefined) continue
        q.records.push(r)
        q.arrived.push(now)
        touched.add(q)
      }
      flush()
      const full = [...touched].filter((t) => size(t) >= maxQueued)
      if (full.length === 0) return undefined
      return Promise.all(full.map(async (t) => { await new Promise<void>((resolve) => { t.waiting.push(resolve) }) })).then(() => {})
    },
    close () {
      closed = true
      clearTimeout(timer)
      for (const q of all) for (const wake of q.waiting.splice(0)) wake()
    }
  }
}
