import { randomUUID } from 'node:crypto'
import { Consumer } from '@platformatic/kafka'
import { kafkaClientOptions } from '../src/kafka/index.js'
import type { Logger } from '../src/logger.js'
import { waitUntil } from './processes.js'

// The consumer baseline: what the Kafka client the services use reads without them.
// The one file (with plain-producer.ts) to rewrite when the client changes.

/** Names the baseline in the table. */
export const plainConsumerName = 'plain consumer (same client)'

/**
 * Events per second a plain @platformatic/kafka consumer reads `topic` from the beginning,
 * counted after its first fetch arrived, so that joining the group does not count.
 */
export async function plainConsumerRate (brokers: string[], topic: string, total: number, _logger?: Logger): Promise<number> {
  const plain = new Consumer({ ...kafkaClientOptions({ brokers, clientId: 'bench-plain' }), groupId: `bench-plain-${randomUUID()}`, maxWaitTime: 100, autocommit: false })
  let read = 0
  let firstBatch = 0
  let firstRead = 0
  let lastRead = 0
  try {
    const stream = await plain.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
    stream.on('data', () => {
      if (read === 0) {
        firstRead = performance.now()
        // The messages of one fetch arrive in one go: those of the first do not count.
        setImmediate(() => { firstBatch = read })
      }
      read++
      lastRead = performance.now()
    })
    await waitUntil('the plain consumer', () => read >= total, 120000, 10)
  } finally {
    await plain.close(true)
  }
  return lastRead > firstRead ? (read - firstBatch) / ((lastRead - firstRead) / 1000) : Number.NaN
}

/** The median of three passes in fresh groups: one pass takes a fraction of a second, so one alone is noisy. */
export async function plainConsumerMedian (brokers: string[], topic: string, total: number, logger: Logger): Promise<number> {
  const passes: number[] = []
  for (let pass = 0; pass < 3; pass++) passes.push(await plainConsumerRate(brokers, topic, total, logger))
  return passes.sort((a, b) => a - b)[1]!
}
