import { Producer } from '@platformatic/kafka'
import { kafkaClientOptions } from '../src/kafka/index.js'
import { sampleEvent } from './sample-event.js'

// The producer baseline: what the Kafka client the gateway uses writes without the gateway.
// The one file (with plain-consumer.ts) to rewrite when the client changes.

/** Names the baseline in the table. */
export const plainProducerName = 'plain producer (same client)'

export interface PlainProducerFigure {
  eventsPerSec: number
  /** CPU milliseconds of the producing process (this one, doing nothing else meanwhile) per 1,000 records. */
  cpuMsPer1k: number
}

/**
 * Events per second a plain @platformatic/kafka producer writes: the gateway's record
 * (sampleEvent) in batches of 100 with acks=-1 and four batches in flight, for `durationMs`.
 */
export async function benchPlainProducer (brokers: string[], topic: string, durationMs: number): Promise<PlainProducerFigure> {
  const producer = new Producer({ ...kafkaClientOptions({ brokers, clientId: 'bench-plain' }), autocreateTopics: true })
  try {
    const value = Buffer.from(JSON.stringify(sampleEvent(1)))
    const batch = Array.from({ length: 100 }, () => ({ topic, value }))
    await producer.send({ acks: -1, messages: batch })
    let sent = 0
    const deadline = Date.now() + durationMs
    const started = Date.now()
    const cpu = process.cpuUsage()
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (Date.now() < deadline) {
        await producer.send({ acks: -1, messages: batch })
        sent += batch.length
      }
    }))
    const used = process.cpuUsage(cpu)
    return { eventsPerSec: sent / ((Date.now() - started) / 1000), cpuMsPer1k: (used.user + used.system) / sent }
  } finally {
    await producer.close()
  }
}
