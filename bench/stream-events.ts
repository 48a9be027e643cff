// The events of the stream-service figures, shared by the bench's producer and the bare SSE
// baseline server so both send the same bytes. `bench_t` (the production time, ms) comes first
// so that a client finds it right after `data: {` without parsing the event.

/** An event of about 290 bytes as the producer writes it (the service adds about 60 to `meta`). */
export function streamEvent (i: number, producedAt: number): Record<string, unknown> {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  return {
    bench_t: producedAt,
    $schema: '/test/event/1.0.0',
    meta: { stream: 'bench.stream', id, dt: new Date(producedAt).toISOString(), domain: 'en.wikipedia.org' },
    database: 'enwiki',
    page_id: i,
    page_title: `Page_${i}`,
    rev_id: 1000000 + i,
    comment: 'benchmark edit'
  }
}

/** The cluster id as the stream service puts it in every id entry (22 characters, as Kafka's). */
const cluster = 'bench-cluster-00000000'

/**
 * One SSE frame as the stream service writes it: the event with `meta.topic`, `meta.partition`
 * and `meta.offset` added, and an id with one entry per partition of the topic.
 */
export function streamFrame (i: number, producedAt: number, topic: string, partition: number, nextOffsets: readonly number[], timestamps: readonly number[]): string {
  const event = streamEvent(i, producedAt)
  Object.assign(event.meta as Record<string, unknown>, { topic, partition, offset: nextOffsets[partition]! - 1 })
  const id = nextOffsets.map((offset, p) => JSON.stringify({ topic, partition: p, offset, timestamp: timestamps[p], seen: 1, cluster }))
  return `event: message\nid: [${id.join(',')}]\ndata: ${JSON.stringify(event)}\n\n`
}
