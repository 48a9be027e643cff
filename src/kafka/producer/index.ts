import { Producer } from '@platformatic/kafka'
import type { MessageToProduce } from '@platformatic/kafka'
import type { Logger } from '../../logger.js'
import type { KafkaMetrics, ProduceErrorReason } from '../../metrics/kafka.js'
import { kafkaClientOptions } from '../client.js'
import type { KafkaSecurity } from '../client.js'
import { KafkaProduceError, KafkaProducerClosedError, KafkaUnavailableError, classifyProduceError } from '../errors.js'
import { createClusterProbe } from '../health.js'
import { createPartitioner } from './partitioner.js'
import { producerDefaults } from '../options.js'
import type { CompressionCodec, PartitionerName } from '../options.js'
import { messageOf } from '../../errors.js'
import { deadlineIn, settlesBefore } from '../../deadline.js'

export interface ProduceRecord {
  topic: string
  key: string | null
  value: string | Buffer
  /** Milliseconds since the epoch; the broker's append time when absent. */
  timestamp?: number
  headers?: Record<string, string>
  /** A fixed partition of the topic; otherwise the partitioner picks one. */
  partition?: number
  /** The codec of the record's batch (a stream's own); the producer's `compression` when absent. */
  compression?: CompressionCodec
}

export interface EventProducer {
  /**
   * Connects and waits for a broker's metadata response; rejects with KafkaUnavailableError
   * if none answers (the caller may keep retrying, or call monitor()).
   */
  connect(): Promise<void>
  /**
   * Keeps the producer's readiness current without traffic: connects (retrying) while not
   * connected, then asks the cluster for metadata every healthCheckIntervalMs. Stopped by close().
   */
  monitor(): void
  /**
   * Resolves when the broker acknowledged every record (acks = -1); rejects with a
   * KafkaUnavailableError (retriable, statusCode 503) when not acknowledged within
   * produceTimeoutMs, at once while Kafka is known to be unavailable, or a KafkaProduceError
   * otherwise.
   */
  send(records: readonly ProduceRecord[]): Promise<void>
  /** true while connected and the last connect/produce/metadata probe succeeded. */
  isReady(): boolean
  /**
   * Flushes pending batches (bounded by produceTimeoutMs), then disconnects. With `timeoutMs`
   * it resolves within that time whatever Kafka does, logging what it abandoned. Resolves to
   * false when it abandoned something (records in flight, a disconnect that hung), else true.
   */
  close(options?: { timeoutMs?: number }): Promise<boolean>
}

export interface EventProducerOptions {
  brokers: readonly string[]
  clientId: string
  /** How long the first record of a batch waits for others. Default: `linger_ms`'s (options.ts). */
  lingerMs?: number
  /** A batch is sent as soon as it holds this many records. Default: `max_batch_records`'s. */
  maxBatchRecords?: number
  /** ...or this many bytes of keys, values and headers. Default: `max_batch_bytes`'s (options.ts). */
  maxBatchBytes?: number
  /** Batches sent and not yet acknowledged; more wait in the buffer. Default: options.ts. */
  maxInFlightBatches?: number
  /** Every send() settles within this time. Default: `produce_timeout_ms`'s. */
  produceTimeoutMs?: number
  /** Record batch compression; a record's own `compression` wins. Default: `compression`'s (options.ts). */
  compression?: CompressionCodec
  /** TLS and SASL to the brokers (security.ts); plaintext when undefined. */
  security?: KafkaSecurity
  /**
   * Kafka's idempotent produce: a batch the client retries after a lost answer is written once.
   * The client keeps sequence numbers only with one request in flight per broker, so this sends
   * one batch at a time (maxInFlightBatches 1).
   */
  idempotent?: boolean
  /** How keys map to partitions (see partitioner.ts). Default `consistent_random`, as librdkafka (options.ts). */
  partitioner?: PartitionerName
  /** How often monitor() asks the cluster for metadata. Default: `health_check_interval_ms`'s. */
  healthCheckIntervalMs?: number
  /** How long one metadata probe (and connect()'s check) may take. Default: `health_check_timeout_ms`'s. */
  healthCheckTimeoutMs?: number
  /**
   * Once monitor() knows Kafka is unavailable (no broker answered a metadata probe), the longest
   * a send already under way waits for its answer: the client's remaining retries are spread over
   * this time. Sends made while it is known to be unavailable are answered at once, and those
   * still buffered fail when it becomes known. Default: `unavailable_wait_ms`'s.
   */
  unavailableWaitMs?: number
  logger: Logger
  metrics?: KafkaMetrics
}

/** A record as the client takes it: the serializers below turn strings into bytes. */
type ClientMessage = MessageToProduce<string, string | Buffer, string, string>

/** One send() call: its records travel in one batch and it settles with that batch. */
interface PendingSend {
  /** Emptied once settled, so a settled send waiting in the deadline queue holds no records. */
  records: readonly ProduceRecord[]
  bytes: number
  resolve: () => void
  reject: (err: Error) => void
  /** When (Date.now()) the caller is answered that Kafka is unavailable. */
  deadline: number
  settled: boolean
  inFlight: boolean
}

const noRecords: readonly ProduceRecord[] = []

/** How the client retries a failed produce (see producerRetryPolicy). */
export interface ProducerRetryPolicy {
  retries: number
  initialRetryTime: number
  maxRetryTime: number
  factor: number
  multiplier: number
}

/**
 * The producer behind the gateway and change propagation. Records of concurrent
 * send() calls are coalesced into one client send (one ProduceRequest per broker)
 * per linger window or when a batch is full, so throughput does not depend on one
 * round trip per HTTP request. Keys are partitioned as `partitioner` says: CRC-32
 * like librdkafka (EventGate, the default), or murmur2 like the Java client.
 */
export function createEventProducer (options: EventProducerOptions): EventProducer {
  const lingerMs = options.lingerMs ?? producerDefaults.lingerMs
  const maxBatchRecords = options.maxBatchRecords ?? producerDefaults.maxBatchRecords
  const maxBatchBytes = options.maxBatchBytes ?? producerDefaults.maxBatchBytes
  const idempotent = options.idempotent ?? producerDefaults.idempotent
  const maxInFlightBatches = idempotent ? 1 : (options.maxInFlightBatches ?? producerDefaults.maxInFlightBatches)
  const produceTimeoutMs = options.produceTimeoutMs ?? producerDefaults.produceTimeoutMs
  const healthCheckIntervalMs = options.healthCheckIntervalMs ?? producerDefaults.healthCheckIntervalMs
  const healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? producerDefaults.healthCheckTimeoutMs
  const unavailableWaitMs = options.unavailableWaitMs ?? producerDefaults.unavailableWaitMs
  const compression = options.compression ?? producerDefaults.compression
  const metrics = options.metrics
  const log = options.logger.child({ module: 'kafka-producer' })

  const retry = producerRetryPolicy(produceTimeoutMs)
  // The idempotent client retries forever when given one retry or none: a send is answered
  // at produceTimeoutMs anyway, and its batch must not hold the only slot for ever.
  const retries = idempotent ? Math.max(2, retry.retries) : retry.retries
  const producer = new Producer<string, string | Buffer, string, string>({
    ...kafkaClientOptions({
      brokers: options.brokers,
      clientId: options.clientId,
      connectionTimeoutMs: Math.min(1000, Math.max(100, Math.floor(produceTimeoutMs / 4))),
      requestTimeoutMs: produceTimeoutMs,
      retries,
      // A broker that is gone makes every attempt fail at once, so a send waits for the backoff
      // between them (2.4 s with the defaults) before its 503. Once Kafka is known to be down,
      // the attempts left are spread over unavailableWaitMs instead: the send is answered that
      // soon, and only after the client gave up, so its records are not written after the 503.
      retryDelayMs: (attempt) => knownUnavailable() ? Math.floor(unavailableWaitMs / Math.max(1, retries)) : retryDelayOf(retry, attempt),
      security: options.security
    }),
    partitioner: createPartitioner(options.partitioner ?? producerDefaults.partitioner),
    // As EventGate: a topic is created on first use where the broker allows it.
    autocreateTopics: true,
    idempotent,
    serializers: {
      key: serializeString,
      value: (value?: string | Buffer) => typeof value === 'string' ? Buffer.from(value) : value,
      headerKey: serializeString,
      headerValue: serializeString
    }
  })

  // Readiness asks the cluster over connections of its own, kept open between probes.
  const probe = createClusterProbe({ brokers: options.brokers, clientId: options.clientId, timeoutMs: healthCheckTimeoutMs, security: options.security, logger: options.logger })

  let connection: 'idle' | 'connecting' | 'connected' = 'idle'
  let connecting: Promise<void> | undefined
  let closing: Promise<boolean> | undefined
  let closed = false
  let ready = false
  /** The last metadata probe's answer; undefined before the first. */
  let reachable: boolean | undefined
  let monitoring = false
  let monitorTimer: NodeJS.Timeout | undefined
  let checking: Promise<void> | undefined
  /** What close() is waiting for, named in the log when it gives up. */
  let closeStep: 'connect' | 'flush' | 'disconnect' | 'done' = 'connect'
  const queue: PendingSend[] = []
  let queuedRecords = 0
  let queuedBytes = 0
  let inFlight = 0
  let inFlightRecords = 0
  let due = false
  let lingerTimer: NodeJS.Timeout | undefined
  let lingerImmediate: NodeJS.Immediate | undefined
  const idleWaiters: Array<() => void> = []
  // Every unsettled send in the order of its deadline (the order of the calls, all having the
  // same timeout), watched by one timer for the oldest: no timer per send() at 10k calls/s.
  let deadlines: PendingSend[] = []
  let deadlinesHead = 0
  let deadlineTimer: NodeJS.Timeout | undefined

  /**
   * Kafka did not answer the last probe and no connect has succeeded since: sends are answered
   * at once. (Before the first connect attempt nothing is known, and sends wait for it.)
   */
  function knownUnavailable (): boolean {
    return connection === 'idle' || (connection === 'connecting' && reachable === false)
  }

  function setReady (value: boolean): void {
    ready = value
    metrics?.up.set(value ? 1 : 0)
  }

  function setReachable (value: boolean, err?: unknown): void {
    metrics?.reachable.set(value ? 1 : 0)
    if (value && reachable !== true) log.info({ brokers: options.brokers }, 'connected to Kafka')
    if (!value && reachable !== false) log.warn({ err, brokers: options.brokers }, 'Kafka not reachable')
    reachable = value
  }

  function countErrors (reason: ProduceErrorReason, records: number): void {
    metrics?.produceErrors.inc({ reason }, records)
  }

  function settle (send: PendingSend, err?: Error): void {
    if (send.settled) return
    send.settled = true
    send.records = noRecords
    if (deadlines[deadlinesHead] === send) dropSettledDeadlines()
    if (err === undefined) send.resolve()
    else send.reject(err)
  }

  function dropSettledDeadlines (): void {
    while (deadlinesHead < deadlines.length && (deadlines[deadlinesHead] as PendingSend).settled) deadlinesHead++
    if (deadlinesHead === deadlines.length) {
      deadlines.length = 0
      deadlinesHead = 0
    } else if (deadlinesHead > 1024 && deadlinesHead * 2 > deadlines.length) {
      deadlines = deadlines.slice(deadlinesHead)
      deadlinesHead = 0
    }
  }

  function watchDeadline (): void {
    if (deadlineTimer !== undefined) return
    const head = deadlines[deadlinesHead]
    if (head === undefined) return
    deadlineTimer = setTimeout(expireDue, Math.max(0, head.deadline - Date.now()))
  }

  function expireDue (): void {
    deadlineTimer = undefined
    const now = Date.now()
    while (deadlinesHead < deadlines.length) {
      const send = deadlines[deadlinesHead] as PendingSend
      if (send.settled) {
        deadlinesHead++
        continue
      }
      if (send.deadline > now) break
      // Settles it, which moves the head past it.
      onTimeout(send)
    }
    dropSettledDeadlines()
    watchDeadline()
  }

  function dequeue (send: PendingSend): void {
    const index = queue.indexOf(send)
    if (index === -1) return
    queue.splice(index, 1)
    queuedRecords -= send.records.length
    queuedBytes -= send.bytes
  }

  function notifyIfIdle (): void {
    if (queue.length > 0 || inFlight > 0) return
    for (const wake of idleWaiters.splice(0)) wake()
  }

  function onTimeout (send: PendingSend): void {
    // Records still in the buffer are dropped, so a client that retries after
    // the 503 does not also get the first copy written later.
    if (!send.inFlight) dequeue(send)
    const records = send.records.length
    countErrors('timeout', records)
    setReady(false)
    settle(send, new KafkaUnavailableError(`Kafka did not acknowledge ${records} record(s) within ${produceTimeoutMs} ms`))
    notifyIfIdle()
  }

  function failQueued (err: Error, reason: ProduceErrorReason): void {
    for (const send of queue.splice(0)) {
      countErrors(reason, send.records.length)
      settle(send, err)
    }
    queuedRecords = 0
    queuedBytes = 0
    notifyIfIdle()
  }

  function schedule (): void {
    if (queuedRecords >= maxBatchRecords || queuedBytes >= maxBatchBytes) {
      due = true
      pump()
      return
    }
    if (lingerMs === 0) {
      // No linger: what this turn of the event loop sent goes as one batch, at once (a timer
      // would wait a millisecond at least). Under load, records gather behind the batches in flight.
      lingerImmediate ??= setImmediate(() => {
        lingerImmediate = undefined
        due = true
        pump()
      })
      return
    }
    lingerTimer ??= setTimeout(() => {
      lingerTimer = undefined
      due = true
      pump()
    }, lingerMs)
  }

  function pump (): void {
    if (connection !== 'connected') return
    while (inFlight < maxInFlightBatches && queue.length > 0 &&
      (due || queuedRecords >= maxBatchRecords || queuedBytes >= maxBatchBytes)) {
      dispatch(takeBatch())
    }
    if (queue.length === 0) {
      due = false
      clearTimeout(lingerTimer)
      lingerTimer = undefined
      clearImmediate(lingerImmediate)
      lingerImmediate = undefined
    }
  }

  /** Whole send() calls from the head of the queue, up to the caps (at least one call). */
  function takeBatch (): PendingSend[] {
    const batch: PendingSend[] = []
    let records = 0
    let bytes = 0
    while (queue.length > 0) {
      const next = queue[0] as PendingSend
      if (batch.length > 0 && (records + next.records.length > maxBatchRecords || bytes + next.bytes > maxBatchBytes)) break
      queue.shift()
      queuedRecords -= next.records.length
      queuedBytes -= next.bytes
      records += next.records.length
      bytes += next.bytes
      batch.push(next)
    }
    return batch
  }

  function dispatch (batch: PendingSend[]): void {
    let records = 0
    for (const send of batch) {
      send.inFlight = true
      records += send.records.length
    }
    inFlight++
    inFlightRecords += records
    metrics?.produceBatchesInFlight.inc()
    metrics?.produceBatchRecords.observe(records)
    void produce(batch).finally(() => {
      inFlight--
      inFlightRecords -= records
      metrics?.produceBatchesInFlight.dec()
      pump()
      notifyIfIdle()
    })
  }

  /**
   * Sends the records of `batch` in one client send and settles its sends. When the broker refuses
   * a record for good, the refusal says neither which record nor which partition, so the batch
   * is halved (whole send() calls, in order) and each half sent again, the first before the
   * second: only the sends whose records cause the refusal are rejected with it. A send the
   * caller was already answered for (timed out) is not sent again.
   */
  async function produce (batch: readonly PendingSend[]): Promise<void> {
    const live = batch.filter((send) => !send.settled)
    if (live.length === 0) return
    const byCodec = messagesByCodec(live, compression)
    let records = 0
    for (const messages of byCodec.values()) records += messages.length
    const stopTimer = metrics?.produceDuration.startTimer()
    let failure: KafkaUnavailableError | KafkaProduceError
    try {
      await sendByCodec(byCodec)
      stopTimer?.({ result: 'ok' })
      metrics?.producedRecords.inc(records)
      setReady(true)
      // A batch the client retried through a short outage got through: Kafka is back.
      if (connection === 'idle' && closing === undefined) {
        connection = 'connected'
        setReachable(true)
      }
      for (const send of live) settle(send)
      return
    } catch (err) {
      stopTimer?.({ result: 'error' })
      failure = classifyProduceError(err)
    }
    if (failure instanceof KafkaProduceError && isRecordRefusal(failure) && live.length > 1) {
      log.debug({ err: failure, sends: live.length, records }, 'Kafka refused a record of a batch; splitting it')
      const half = Math.ceil(live.length / 2)
      await produce(live.slice(0, half))
      await produce(live.slice(half))
      return
    }
    if (failure instanceof KafkaUnavailableError) {
      setReady(false)
      checkSoon()
    }
    const unsettled = live.filter((send) => !send.settled)
    if (unsettled.length === 0) return
    log.warn({ err: failure, records }, 'Kafka produce failed')
    countErrors(failure instanceof KafkaUnavailableError ? 'unavailable' : 'rejected', unsettled.reduce((n, send) => n + send.records.length, 0))
    for (const send of unsettled) settle(send, failure)
  }

  /** One client send per codec (a codec is a setting of the whole request); all settle before this does. */
  async function sendByCodec (byCodec: ReadonlyMap<CompressionCodec, ClientMessage[]>): Promise<void> {
    if (byCodec.size === 1) {
      const [codec, messages] = byCodec.entries().next().value as [CompressionCodec, ClientMessage[]]
      await producer.send({ messages, acks: -1, compression: codec })
      return
    }
    const results = await Promise.allSettled([...byCodec].map(async ([codec, messages]) => producer.send({ messages, acks: -1, compression: codec })))
    const failed = results.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  async function connect (): Promise<void> {
    if (closing !== undefined) throw new KafkaProducerClosedError()
    if (connection === 'connected') return
    connecting ??= (async () => {
      connection = 'connecting'
      try {
        // Connected means a broker answered a request, not only that a socket opened.
        await probe.check()
        connection = 'connected'
        setReachable(true)
        setReady(true)
        pump()
      } catch (err) {
        connection = 'idle'
        setReady(false)
        const failure = new KafkaUnavailableError(`Cannot connect to Kafka at ${options.brokers.join(',')}: ${messageOf(err)}`, err)
        setReachable(false, failure)
        failQueued(failure, 'unavailable')
        throw failure
      } finally {
        connecting = undefined
      }
    })()
    return connecting
  }

  function monitor (): void {
    if (monitoring || closing !== undefined) return
    monitoring = true
    // A lost broker connection is the first sign of an outage: the cluster is asked at once
    // rather than at the next interval, so sends stop queueing behind the client's retries.
    producer.on('client:broker:disconnect', checkSoon)
    producer.on('client:broker:failed', checkSoon)
    void round()
  }

  /** One round of monitor(), then the next after healthCheckIntervalMs. */
  async function round (): Promise<void> {
    await checkNow()
    if (closing !== undefined) return
    monitorTimer = setTimeout(() => { void round() }, healthCheckIntervalMs)
    monitorTimer.unref()
  }

  /** A check between rounds, when something suggests Kafka went away (monitored producers only). */
  function checkSoon (): void {
    if (monitoring && closing === undefined && connection === 'connected') void checkNow()
  }

  function checkNow (): Promise<void> {
    checking ??= check().finally(() => { checking = undefined })
    return checking
  }

  /**
   * Connects while not connected, else probes. A failed probe makes Kafka known to be
   * unavailable: records still buffered fail now, and later sends at once, until a connect
   * (the next round) or a produce succeeds.
   */
  async function check (): Promise<void> {
    try {
      if (connection === 'connected') {
        await probe.check()
        if (closing === undefined && connection === 'connected') {
          setReachable(true)
          setReady(true)
        }
      } else {
        await connect()
      }
    } catch (err) {
      if (closing === undefined) {
        setReachable(false, err)
        setReady(false)
        if (connection === 'connected') {
          connection = 'idle'
          failQueued(new KafkaUnavailableError(`Kafka is unavailable: ${messageOf(err)}`, err), 'unavailable')
        }
      }
    }
  }

  // Not an async function: one promise per call on the gateway's hot path, not two.
  function send (records: readonly ProduceRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    if (closing !== undefined) {
      countErrors('closed', records.length)
      return Promise.reject(new KafkaProducerClosedError())
    }
    if (knownUnavailable()) {
      // Known to be disconnected: answer now rather than after produceTimeoutMs.
      countErrors('unavailable', records.length)
      return Promise.reject(new KafkaUnavailableError(`Not connected to Kafka at ${options.brokers.join(',')}`))
    }
    let bytes = 0
    for (const record of records) {
      if (typeof record.topic !== 'string' || record.topic === '') {
        countErrors('rejected', records.length)
        return Promise.reject(new KafkaProduceError('Every record needs a topic'))
      }
      bytes += recordBytes(record)
    }
    return new Promise<void>((resolve, reject) => {
      const pending: PendingSend = { records, bytes, resolve, reject, deadline: Date.now() + produceTimeoutMs, settled: false, inFlight: false }
      deadlines.push(pending)
      watchDeadline()
      queue.push(pending)
      queuedRecords += records.length
      queuedBytes += bytes
      schedule()
    })
  }

  async function close (closeOptions: { timeoutMs?: number } = {}): Promise<boolean> {
    closing ??= (async () => {
      clearTimeout(monitorTimer)
      producer.off('client:broker:disconnect', checkSoon)
      producer.off('client:broker:failed', checkSoon)
      if (connecting !== undefined) await settlesBefore(connecting, deadlineIn(produceTimeoutMs))
      probe.close().catch(() => undefined)
      closeStep = 'flush'
      if (connection === 'connected') {
        due = true
        pump()
      } else {
        failQueued(new KafkaProducerClosedError(), 'closed')
      }
      // Every send settles within produceTimeoutMs, so this wait is bounded.
      let complete = true
      if (queue.length > 0 || inFlight > 0) complete = await settlesBefore(new Promise<void>((resolve) => { idleWaiters.push(resolve) }), deadlineIn(produceTimeoutMs + 1000))
      clearTimeout(lingerTimer)
      lingerTimer = undefined
      clearImmediate(lingerImmediate)
      lingerImmediate = undefined
      closeStep = 'disconnect'
      const disconnected = await settlesBefore(producer.close(true).catch((err: unknown) => { log.warn({ err }, 'Kafka producer disconnect failed') }), deadlineIn(produceTimeoutMs))
      clearTimeout(deadlineTimer)
      deadlineTimer = undefined
      closeStep = 'done'
      closed = true
      setReady(false)
      log.info('Kafka producer closed')
      return complete && disconnected
    })()
    if (closeOptions.timeoutMs === undefined) return closing
    const finished = await settlesBefore(closing, deadlineIn(closeOptions.timeoutMs))
    if (!finished) {
      abandon(closeOptions.timeoutMs)
      return false
    }
    return closing
  }

  /** close() ran out of time: what is still queued fails now, and the log says what was left. */
  function abandon (timeoutMs: number): void {
    const queued = queuedRecords
    failQueued(new KafkaProducerClosedError(), 'closed')
    closed = true
    setReady(false)
    log.warn({ step: closeStep, queuedRecords: queued, inFlightBatches: inFlight, inFlightRecords }, `Kafka producer did not close within ${timeoutMs} ms; abandoning it (records not yet acknowledged may or may not have been written)`)
  }

  return {
    connect,
    monitor,
    send,
    isReady: () => ready && !closed,
    close
  }
}

/**
 * The client retries a failed produce on its own. Its backoff is bounded here so
 * that all attempts fit in about half of produceTimeoutMs: the client gives up on
 * its own soon after the caller was told 503, instead of retrying forever.
 */
export function producerRetryPolicy (produceTimeoutMs: number): ProducerRetryPolicy {
  const initialRetryTime = producerDefaults.retryInitialMs
  const maxRetryTime = Math.max(2 * initialRetryTime, Math.floor(produceTimeoutMs / 4))
  const factor = producerDefaults.retryFactor
  const multiplier = producerDefaults.retryMultiplier
  let retries = 0
  let total = 0
  let delay = initialRetryTime * (1 + factor)
  while (retries < producerDefaults.retryMaxRetries) {
    if (total + delay > produceTimeoutMs / 2) break
    total += delay
    retries++
    delay = Math.min(delay * (1 + factor) * multiplier, maxRetryTime)
  }
  return { retries, initialRetryTime, maxRetryTime, factor, multiplier }
}

/** The wait before retry `attempt` (1 for the first) under `policy`. */
function retryDelayOf (policy: ProducerRetryPolicy, attempt: number): number {
  let delay = policy.initialRetryTime * (1 + policy.factor)
  for (let i = 1; i < attempt; i++) delay = Math.min(delay * (1 + policy.factor) * policy.multiplier, policy.maxRetryTime)
  return Math.round(delay)
}

function serializeString (value?: string): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value)
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

function isRecordRefusal (err: KafkaProduceError): boolean {
  return err.kafkaError !== undefined && RECORD_REFUSALS.has(err.kafkaError)
}

/** The records of `sends` as client messages, by the codec each goes with. */
function messagesByCodec (sends: readonly PendingSend[], fallback: CompressionCodec): Map<CompressionCodec, ClientMessage[]> {
  const byCodec = new Map<CompressionCodec, ClientMessage[]>()
  for (const send of sends) {
    for (const record of send.records) {
      const codec = record.compression ?? fallback
      let messages = byCodec.get(codec)
      if (messages === undefined) {
        messages = []
        byCodec.set(codec, messages)
      }
      messages.push(toMessage(record))
    }
  }
  return byCodec
}

function toMessage (record: ProduceRecord): ClientMessage {
  return {
    topic: record.topic,
    key: record.key ?? undefined,
    value: record.value,
    timestamp: record.timestamp === undefined ? undefined : BigInt(record.timestamp),
    headers: record.headers,
    partition: record.partition
  }
}

function recordBytes (record: ProduceRecord): number {
  let bytes = Buffer.byteLength(record.value) + (record.key === null ? 0 : Buffer.byteLength(record.key))
  const headers = record.headers
  if (headers !== undefined) {
    for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string)
  }
  return bytes
}
