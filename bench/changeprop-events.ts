import { randomUUID } from 'node:crypto'
import type { RuleSpec } from '../src/changeprop/index.js'
import { createEventProducer } from '../src/kafka/index.js'
import type { Logger } from '../src/logger.js'

// What the change-propagation figures consume and run: MediaWiki revision-create events and the
// seed rule of the change-propagation issue, unchanged.

export const revisionTopic = 'mediawiki.revision-create'

/** A templated path, three templated headers (one through date()), a query string; concurrency is the service default (30). */
export const seedRule: RuleSpec = {
  topic: revisionTopic,
  retry_on: { status: ['5xx', 404] },
  exec: {
    method: 'get',
    uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}',
    headers: { 'cache-control': 'no-cache', 'x-restbase-parentrevision': '{{message.rev_parent_id}}', 'if-unmodified-since': '{{date(message.meta.dt)}}' },
    query: { redirect: false }
  }
}

export function revisionEvent (i: number): string {
  return JSON.stringify({
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: { stream: revisionTopic, uri: `https://en.wikipedia.org/wiki/Page_${i}`, domain: 'en.wikipedia.org', dt: new Date().toISOString(), id: randomUUID(), request_id: randomUUID() },
    database: 'enwiki',
    page_id: i,
    page_title: `Page_${i}`,
    page_namespace: 0,
    rev_id: 100000 + i,
    rev_parent_id: 99999 + i,
    rev_timestamp: new Date().toISOString(),
    performer: { user_text: 'Bench', user_groups: ['*', 'user'], user_is_bot: false },
    comment: 'benchmark edit'
  })
}

export interface RevisionProducer {
  /** Produces events `from` .. `from + count - 1` in batches of 1000, four in flight. */
  produce(from: number, count: number): Promise<void>
  close(): Promise<void>
}

export async function revisionProducer (brokers: string[], topic: string, logger: Logger): Promise<RevisionProducer> {
  const producer = createEventProducer({ brokers, clientId: 'bench-producer', lingerMs: 5, maxBatchRecords: 1000, logger })
  await producer.connect()
  return {
    async produce (from, count) {
      let next = from
      const end = from + count
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < end) {
          const first = next
          next = Math.min(end, next + 1000)
          await producer.send(Array.from({ length: next - first }, (_, j) => ({ topic, key: null, value: revisionEvent(first + j) })))
        }
      }))
    },
    close: async () => { await producer.close() }
  }
}
