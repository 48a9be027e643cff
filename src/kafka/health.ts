import { Admin } from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import { kafkaClientOptions } from './client.js'
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
 * An open TCP connection is not enough to know this: an address that accepts connections and
 * never answers must not count as connected, so a broker has to answer a request.
 */
export async function probeCluster (options: ClusterProbeOptions): Promise<void> {
  const attempts = options.brokers.map(async (broker) => {
    try {
      await boundedMetadataRequest(broker, options.clientId, options.timeoutMs)
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

async function boundedMetadataRequest (broker: string, clientId: string, timeoutMs: number): Promise<void> {
  const client = new Admin(kafkaClientOptions({ brokers: [broker], clientId, connectionTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, retries: 0 }))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no answer within ${timeoutMs} ms`)) }, timeoutMs)
  })
  try {
    await Promise.race([
      (async () => {
        const metadata = await client.metadata({ topics: [], forceUpdate: true })
        if (metadata.brokers.size === 0) throw new Error('the metadata response lists no broker')
      })(),
      deadline
    ])
  } finally {
    clearTimeout(timer)
    // Not awaited: a broker that does not answer may hold the close up as well, and the probe
    // must stay within its bound.
    client.close().catch(() => undefined)
  }
}
