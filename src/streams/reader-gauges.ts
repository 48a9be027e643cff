import type { StreamsMetrics } from '../metrics/streams.js'
import type { StreamReader } from './tails.js'

/** Samples the reader's tail loops and catch-up readers into their gauges every second; returns what stops it. */
export function startReaderGauges (reader: StreamReader, metrics: StreamsMetrics): () => void {
  const gauges = setInterval(() => {
    const stats = reader.stats()
    metrics.tailLoops.set(Object.keys(stats.tailLoops).length)
    metrics.catchUpReaders.set(stats.catchUpReaders)
  }, 1000)
  gauges.unref()
  return () => { clearInterval(gauges) }
}
