import type { Kafka } from 'kafkajs'
import type { Logger } from '../logger.js'
import { createKafkaClient } from './client.js'
import { KafkaUnavailableError } from './errors.js'
import { messageOf } from '../errors.js'

export interface ClusterProbeOptions {
  brokers: readonly string[]
  clientId: string
  /** Upper bound of one probe, TCP connect included. */
  timeoutMs: number
  logger: Logger
}

/**
 * Resolves once one of `brokers` answered a Metadata request within `timeoutMs`; rejects with
 * a KafkaUnavailableError naming every broker's failure otherwise. Each bootstrap address is
 * asked on its own, so that one broker down out of three does not read as the cluster down.
 *
 * kafkajs's `connect()` is not enough to know this: it resolves once the first request of the
 * seed broker failed, even by timing out, so an address that accepts connections and never
 * answers would count as connected.
 */
export async function probeCluster (options: ClusterProbeOptions): Promise<void> {
  // kafkajs logs every failed attempt at error; the caller logs the outcome once instead.
  const logger = options.logger.child({ module: 'kafka-health' }, { level: 'silent' })
  const attempts = options.brokers.map(async (broker) => {
    const kafka = createKafkaClient({
      brokers: [broker],
      clientId: options.clientId,
      connectionTimeoutMs: options.timeoutMs,
      requestTimeoutMs: options.timeoutMs,
      retries: 0,
      logger
    })
    try {
      await boundedMetadataRequest(kafka, options.timeoutMs)
    } catch (err) {
      throw new Error(`${broker}: ${messageOf(err)}`, { cause: err })
    }
  })
  try {
    await Promise.any(attempts)
  } catch (err) {
    const reasons = (err as AggregateError).errors.map((e: unknown) => messageOf(e))
    throw new KafkaUnavailableError(`No Kafka broker answered a metadata request within ${options.timeoutMs} ms (${reasons.join('; ')})`, err)
  }
}

async function boundedMetadataRequest (kafka: Kafka, timeoutMs: number): Promise<void> {
  const admin = kafka.admin({ retry: { retries: 0 } })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no answer within ${timeoutMs} ms`)) }, timeoutMs)
  })
  try {
    await Promise.race([
      (async () => {
        await admin.connect()
        const cluster = await admin.describeCluster()
        if (cluster.brokers.length === 0) throw new Error('the metadata response lists no broker')
      })(),
      deadline
    ])
  } finally {
    clearTimeout(timer)
    // Not awaited: a broker that does not answer may hold the disconnect up as well, and
    // the probe must stay within its bound.
    admin.disconnect().catch(() => undefined)
  }
}
