import type { Producer } from '@platformatic/kafka'
import type { Logger } from '../../logger.js'
import type { KafkaMetrics, ProduceErrorReason } from '../../metrics/kafka.js'
import { KafkaProduceError, KafkaUnavailableError, classifyProduceError } from '../errors.js'
import type { CompressionCodec } from '../options.js'
import type { ProducerConnection } from './connection.js'
import type { PendingSend, SendDeadlines } from './deadlines.js'
import { messagesByCodec } from './records.js'
import type { ClientMessage } from './records.js'

export interface BatchSenderDeps {
  client: Producer<string, string | Buffer, string, string>
  /** The codec of records that name none. */
  compression: CompressionCodec
  connection: ProducerConnection
  deadlines: SendDeadlines
  countErrors: (reason: ProduceErrorReason, records: number) => void
  log: Logger
  metrics?: KafkaMetrics | undefined
}

/**
 * Refusals of some records of a request, not of the request or the producer: splitting the
 * batch finds the records they belong to. (A partition's records are refused together; the
 * other partitions of the same request may have been written.)
 */
const RECORD_REFUSALS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'POLICY_VIOLATION'
])

/**
 * What sends one batch: the records of its sends in one client send (one per codec), then each
 * send settled with the outcome. When the broker refuses a record for good, the refusal says
 * neither which record nor which partition, so the batch is halved (whole send() calls, in
 * order) and each half sent again, the first before the second: only the sends whose records
 * cause the refusal are rejected with it. A send the caller was already answered for (timed out)
 * is not sent again.
 */
export function createBatchSender (deps: BatchSenderDeps): (batch: readonly PendingSend[]) => Promise<void> {
  const { connection, deadlines, metrics } = deps

  async function produce (batch: readonly PendingSend[]): Promise<void> {
    const live = batch.filter((send) => !send.settled)
    if (live.length === 0) return
    const byCodec = messagesByCodec(live, deps.compression)
    let records = 0
    for (const messages of byCodec.values()) records += messages.length
    const stopTimer = metrics?.produceDuration.startTimer()
    let failure: KafkaUnavailableError | KafkaProduceError
    try {
      await sendByCodec(deps.client, byCodec)
      stopTimer?.({ result: 'ok' })
      metrics?.producedRecords.inc(records)
      connection.produced()
      for (const send of live) deadlines.settle(send)
      return
    } catch (err) {
      stopTimer?.({ result: 'error' })
      failure = classifyProduceError(err)
    }
    if (failure instanceof KafkaProduceError && isRecordRefusal(failure) && live.length > 1) {
      deps.log.debug({ err: failure, sends: live.length, records }, 'Kafka refused a record of a batch; splitting it')
      const half = Math.ceil(live.length / 2)
      await produce(live.slice(0, half))
      await produce(live.slice(half))
      return
    }
    if (failure instanceof KafkaUnavailableError) connection.produceFailed()
    const unsettled = live.filter((send) => !send.settled)
    if (unsettled.length === 0) return
    deps.log.warn({ err: failure, records }, 'Kafka produce failed')
    deps.countErrors(failure instanceof KafkaUnavailableError ? 'unavailable' : 'rejected', unsettled.reduce((n, send) => n + send.records.length, 0))
    for (const send of unsettled) deadlines.settle(send, failure)
  }

  return produce
}

/** One client send per codec (a codec is a setting of the whole request); all settle before this does. */
async function sendByCodec (client: BatchSenderDeps['client'], byCodec: ReadonlyMap<CompressionCodec, ClientMessage[]>): Promise<void> {
  if (byCodec.size === 1) {
    const [codec, messages] = byCodec.entries().next().value as [CompressionCodec, ClientMessage[]]
    await client.send({ messages, acks: -1, compression: codec })
    return
  }
  const results = await Promise.allSettled([...byCodec].map(async ([codec, messages]) => client.send({ messages, acks: -1, compression: codec })))
  const failed = results.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}

function isRecordRefusal (err: KafkaProduceError): boolean {
  return err.kafkaError !== undefined && RECORD_REFUSALS.has(err.kafkaError)
}
