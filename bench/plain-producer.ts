import { Producer } from '@platformatic/kafka'
import { kafkaClientOptions } from '../src/kafka/index.js'
import { sampleEvent } from './sample-event.js'

// The producer baseline: what the Kafka client the gateway uses writes without the gateway.
// The one file (with plain-consumer.ts) to rewrite when the client changes.

/** Names the baseline in the table. */
export const plainProducerName = 'plain producer (same client)'

/**
 * Events per second a plain @platformatic/kafka producer writes: the gateway's record
 * (sampleEvent) in batches of 100 with acks=-1 and four batches in flight, for `durationMs`.
 */
export async function benchPlainProducer (brokers: string[], topic: string, durationMs: number): Promise<number> {
  const producer = new Producer({ ...kafkaClientOptions({ brokers, clientId: 'bench-plain' }), autocreateTopics: true })
  try {
    const value = Buffer.from(JSON.stringify(sampleEvent(1)))
    const batch = Array.from({ length: 100 }, () => ({ topic, value }))
    await producer.send({ acks: -1, messages: batch })
    let sent = 0
    const deadline = Date.now() + durationMs
    const started = Date.now()
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (Date.now() < deadline) {
        await producer.send({ acks: -1, messages: batch })
        sent += batch.length
      }
    }))
    return sent / ((Date.now() - started) / 1000)
  } finally {
    await producer.close()
  }
}
