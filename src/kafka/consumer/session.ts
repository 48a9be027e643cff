import { Consumer } from '@platformatic/kafka'
import type { CallbackWithPromise, FetchOptions, Message, MessagesStream } from '@platformatic/kafka'
import type { Logger } from '../../logger.js'
import { kafkaClientOptions } from '../client.js'
import type { KafkaSecurity } from '../client.js'
import { isRetriable } from '../errors.js'
import { consumerDefaults } from '../options.js'

/** The result of one Fetch request, as the client hands it over. */
export type FetchResult = Awaited<ReturnType<Consumer['fetch']>>

export type ClientMessage = Message<Buffer, Buffer, Buffer, Buffer>

/**
 * A client that shows each Fetch response to `onFetched`: the messages it yields carry no log
 * end offset, and the lag this consumer reports is measured from it.
 */
export class FetchWatchingConsumer extends Consumer {
  onFetched: ((response: FetchResult) => void) | undefined

  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>, callback: CallbackWithPromise<FetchResult>): void
  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>): Promise<FetchResult>
  override fetch (options: FetchOptions<Buffer, Buffer, Buffer, Buffer>, callback?: CallbackWithPromise<FetchResult>): void | Promise<FetchResult> {
    if (callback === undefined) {
      return super.fetch(options).then((response) => {
        this.onFetched?.(response)
        return response
      })
    }
    super.fetch(options, (error, response) => {
      if (error === null && response !== undefined) this.onFetched?.(response)
      callback(error, response as FetchResult)
    })
  }
}

type ConsumeOptions = Parameters<Consumer<Buffer, Buffer, Buffer, Buffer>['consume']>[0]

/**
 * The client's consume(), with `onError` listening from the stream's first moment. The client
 * answers with a stream whose construction (its first offset fetch) runs on the next tick, which
 * comes before an awaiting caller resumes: a failure there (the client was closed while it
 * joined) would be emitted with no listener yet, an uncaught error. The callback form is called
 * as the stream is made, so the listener is on it before anything can fail.
 */
export async function consumeStream (client: Consumer<Buffer, Buffer, Buffer, Buffer>, options: ConsumeOptions, onError: (err: Error) => void): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
  return await new Promise((resolve, reject) => {
    client.consume(options, (err, stream) => {
      if (err !== null || stream === undefined) {
        reject(err ?? new Error('the Kafka client answered consume() with no stream'))
        return
      }
      stream.on('error', onError)
      resolve(stream)
    })
  })
}

/** One client and its streams: what a restart after a crash replaces. */
interface Session {
  client: FetchWatchingConsumer
  streams: Array<MessagesStream<Buffer, Buffer, Buffer, Buffer>>
  ended: boolean
}

export interface SessionOptions {
  brokers: readonly string[]
  clientId: string
  groupId: string
  topics: readonly string[]
  topicsFromBeginning: readonly string[]
  fromBeginning: boolean
  security: KafkaSecurity | undefined
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  maxWaitTimeMs: number
  fetchMaxBytes: number
  concurrency: number
  log: Logger
  /** What the current client reports; a replaced client's reports are dropped. */
  onFetched: (client: FetchWatchingConsumer, response: FetchResult) => void
  onJoin: (client: FetchWatchingConsumer, assignments: ReadonlyArray<{ topic: string, partitions: number[] }>) => void
  onMessage: (message: ClientMessage) => void
}

/**
 * The member's client over its life: joined to the group or not, its streams paused while every
 * slot is taken, and replaced after a back-off when it crashes (it could not join, or a stream
 * failed), which rejoins the group and reads on from the committed offsets. A failure that
 * retrying cannot change (e.g. a session timeout the broker refuses) ends the member for good.
 */
export class ConsumerSessions {
  readonly #options: SessionOptions
  #session: Session | undefined
  #joined = false
  #crashed = false
  #paused = false
  #stopped = false
  #restartTimer: NodeJS.Timeout | undefined
  #restartDelayMs: number = consumerDefaults.restartInitialMs

  constructor (options: SessionOptions) {
    this.#options = options
  }

  /** The current client; undefined between a crash and the next one. */
  get client (): FetchWatchingConsumer | undefined { return this.#session?.client }
  get joined (): boolean { return this.#joined }
  get crashed (): boolean { return this.#crashed }

  /**
   * Resolves once the cluster answered and the topics exist; the group is joined in the
   * background, and a failure to join shows in `joined` and `crashed`.
   */
  async start (): Promise<void> {
    const s = this.#create()
    try {
      await s.client.metadata({ topics: [...this.#options.topics] })
    } catch (err) {
      this.#end(s)
      throw err
    }
    void this.#consume(s)
  }

  /** The client joined with its assignment: the back-off starts over. */
  markJoined (): void {
    this.#joined = true
    this.#crashed = false
    this.#restartDelayMs = consumerDefaults.restartInitialMs
  }

  /** A partition gained again: its streams read it from the committed offset, not from where they left it. */
  refetchFromCommitted (topic: string, partition: number): void {
    for (const stream of this.#session?.streams ?? []) stream.offsetsToFetch.delete(`${topic}:${partition}`)
  }

  /** Stops fetching (every slot is taken, or shutdown). */
  pause (): void {
    this.#paused = true
    for (const stream of this.#session?.streams ?? []) stream.pause()
  }

  resume (): void {
    if (!this.#paused) return
    this.#paused = false
    for (const stream of this.#session?.streams ?? []) stream.resume()
  }

  /** No more restarts, and no more messages: shutdown began. */
  stop (): void {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
  }

  /** Leaves the group and closes the client. */
  async close (): Promise<void> {
    const s = this.#session
    this.#joined = false
    if (s === undefined) return
    s.ended = true
    this.#session = undefined
    await closeClient(s)
  }

  #create (): Session {
    const options = this.#options
    const client = new FetchWatchingConsumer({
      ...kafkaClientOptions({ brokers: options.brokers, clientId: options.clientId, requestTimeoutMs: consumerDefaults.requestTimeoutMs, security: options.security }),
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: consumerDefaults.rebalanceTimeoutMs,
      maxWaitTime: options.maxWaitTimeMs,
      maxBytes: options.fetchMaxBytes,
      maxBytesPerPartition: options.fetchMaxBytes,
      // Fetched messages wait here while every slot is taken; pausing stops the fetches.
      highWaterMark: Math.max(consumerDefaults.minHighWaterMark, options.concurrency * 2),
      autocommit: false
    })
    const s: Session = { client, streams: [], ended: false }
    const current = (): boolean => this.#session === s
    client.onFetched = (response) => { if (current()) options.onFetched(client, response) }
    client.on('consumer:group:join', (payload) => { if (current()) options.onJoin(client, payload.assignments ?? []) })
    client.on('consumer:group:rebalance', () => { if (current()) this.#joined = false })
    client.on('consumer:heartbeat:error', () => { if (current()) this.#joined = false })
    client.on('client:broker:disconnect', () => { if (current()) this.#joined = false })
    client.on('consumer:heartbeat:end', () => { if (current() && !this.#stopped) this.#joined = true })
    // A rejoin the client gave up on: its membership is over.
    client.on('error', (err: Error) => { this.#fail(s, err) })
    this.#session = s
    return s
  }

  /** Joins the group and starts the streams; failures end the session (see #fail). */
  async #consume (s: Session): Promise<void> {
    const { topics, topicsFromBeginning, fromBeginning } = this.#options
    const late = new Set(topicsFromBeginning)
    const usual = topics.filter((topic) => !late.has(topic))
    const fresh = topics.filter((topic) => late.has(topic))
    // Where a partition the group never committed starts is a setting of the stream, so the
    // topics that always start from their oldest message get a stream of their own.
    const plans: Array<{ topics: string[], fallbackMode: 'earliest' | 'latest' }> = []
    if (usual.length > 0) plans.push({ topics: usual, fallbackMode: fromBeginning ? 'earliest' : 'latest' })
    if (fresh.length > 0) plans.push({ topics: fresh, fallbackMode: 'earliest' })
    try {
      for (const plan of plans) {
        const stream = await consumeStream(s.client, { topics: plan.topics, mode: 'committed', fallbackMode: plan.fallbackMode, autocommit: false }, (err) => { this.#fail(s, err) })
        if (s.ended) {
          stream.close().catch(() => undefined)
          return
        }
        s.streams.push(stream)
        if (this.#paused) stream.pause()
        stream.on('data', (message: ClientMessage) => { if (this.#session === s && !this.#stopped) this.#options.onMessage(message) })
      }
    } catch (err) {
      this.#fail(s, err)
    }
  }

  /**
   * The session's client crashed. A failure retrying cannot change ends the member for good;
   * anything else gets a new client after a back-off.
   */
  #fail (s: Session, err: unknown): void {
    if (s.ended || this.#stopped) return
    this.#joined = false
    const restart = isRetriable(err)
    this.#options.log.error({ err, restart }, 'consumer crashed')
    this.#end(s)
    if (!restart) {
      this.#crashed = true
      return
    }
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined
      if (!this.#stopped) void this.#consume(this.#create())
    }, this.#restartDelayMs)
    this.#restartDelayMs = Math.min(this.#restartDelayMs * 2, consumerDefaults.restartMaxMs)
  }

  #end (s: Session): void {
    s.ended = true
    if (this.#session === s) this.#session = undefined
    // In the background: a crashed client may take a while to give up its requests.
    void closeClient(s).catch((err: unknown) => { this.#options.log.debug({ err }, 'closing a crashed Kafka client failed') })
  }
}

async function closeClient (s: Session): Promise<void> {
  await Promise.allSettled(s.streams.map(async (stream) => stream.close()))
  await s.client.close(true)
}
