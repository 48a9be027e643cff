import { randomUUID } from 'node:crypto'
import { createKafkaClient } from '../src/kafka/index.js'
import type { Logger } from '../src/logger.js'
import { waitUntil } from './processes.js'

// The consumer baseline: what the Kafka client the services use reads without them.
// The one file (with plain-producer.ts) to rewrite when the client changes.

/** Names the baseline in the table. */
export const plainConsumerName = 'plain kafkajs consumer'

/**
 * Events per second a plain consumer reads `topic` from the beginning, counted after its
 * first batch arrived, so that joining the group does not count.
 */
export async function plainConsumerRate (brokers: string[], topic: string, total: number, logger: Logger): Promise<number> {
  const kafka = createKafkaClient({ brokers, clientId: 'bench-plain', logger })
  const plain = kafka.consumer({ groupId: `bench-plain-${randomUUID()}`, maxWaitTimeInMs: 100 })
  let read = 0
  let firstBatch = 0
  let firstRead = 0
  let lastRead = 0
  await plain.connect()
  try {
    await plain.subscribe({ topic, fromBeginning: true })
    await plain.run({
      eachBatch: async ({ batch }) => {
        if (read === 0) {
          firstRead = performance.now()
          firstBatch = batch.messages.length
        }
        read += batch.messages.length
        lastRead = performance.now()
      }
    })
    await waitUntil('the plain consumer', () => read >= total, 120000, 10)
  } finally {
    await plain.disconnect()
  }
  return lastRead > firstRead ? (read - firstBatch) / ((lastRead - firstRead) / 1000) : Number.NaN
}

/** The median of three passes in fresh groups: one pass takes a fraction of a second, so one alone is noisy. */
export async function plainConsumerMedian (brokers: string[], topic: string, total: number, logger: Logger): Promise<number> {
  const passes: number[] = []
  for (let pass = 0; pass < 3; pass++) passes.push(await plainConsumerRate(brokers, topic, total, logger))
  return passes.sort((a, b) => a - b)[1]!
}
