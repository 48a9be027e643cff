import { messageOf } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { KafkaMetrics } from '../../metrics/kafka.js'
import { KafkaProducerClosedError, KafkaUnavailableError } from '../errors.js'
import type { ClusterProbe } from '../health.js'

/** What the connection needs of the client: its broker connection events. */
export interface BrokerEvents {
  on(event: 'client:broker:disconnect' | 'client:broker:failed', listener: () => void): unknown
  off(event: 'client:broker:disconnect' | 'client:broker:failed', listener: () => void): unknown
}

export interface ConnectionOptions {
  brokers: readonly string[]
  probe: ClusterProbe
  /** How often monitor() asks the cluster for metadata. */
  healthCheckIntervalMs: number
  log: Logger
  metrics?: KafkaMetrics | undefined
  /** Connected: batches may go. */
  onConnected: () => void
  /** Kafka became known to be unavailable: what waits in the buffer fails with `err` now. */
  onUnavailable: (err: KafkaUnavailableError) => void
}

/**
 * The producer's view of the cluster: whether it is connected (a broker answered a request,
 * not only a socket opened), reachable (the last probe was answered) and ready (the last
 * connect, produce or probe succeeded), and the monitor that keeps all three current without
 * traffic.
 */
export class ProducerConnection {
  readonly #options: ConnectionOptions
  #state: 'idle' | 'connecting' | 'connected' = 'idle'
  #connecting: Promise<void> | undefined
  #ready = false
  /** The last metadata probe's answer; undefined before the first. */
  #reachable: boolean | undefined
  #monitored: BrokerEvents | undefined
  #monitorTimer: NodeJS.Timeout | undefined
  #checking: Promise<void> | undefined
  #stopped = false

  constructor (options: ConnectionOptions) {
    this.#options = options
  }

  get connected (): boolean { return this.#state === 'connected' }
  get ready (): boolean { return this.#ready }
  /** The connect under way, if any (close() lets it finish first). */
  get connecting (): Promise<void> | undefined { return this.#connecting }

  /**
   * Kafka did not answer the last probe and no connect has succeeded since: sends are answered
   * at once. (Before the first connect attempt nothing is known, and sends wait for it.)
   */
  knownUnavailable (): boolean {
    return this.#state === 'idle' || (this.#state === 'connecting' && this.#reachable === false)
  }

  async connect (): Promise<void> {
    if (this.#stopped) throw new KafkaProducerClosedError()
    if (this.#state === 'connected') return
    this.#connecting ??= this.#firstAnswer().finally(() => { this.#connecting = undefined })
    return this.#connecting
  }

  /**
   * Keeps readiness current: connects (retrying) while not connected, then asks the cluster for
   * metadata every healthCheckIntervalMs, and at once when `client` loses or fails a broker
   * connection (the first sign of an outage), so sends stop queueing behind the client's retries.
   */
  monitor (client: BrokerEvents): void {
    if (this.#monitored !== undefined || this.#stopped) return
    this.#monitored = client
    client.on('client:broker:disconnect', this.checkSoon)
    client.on('client:broker:failed', this.checkSoon)
    void this.#round()
  }

  /** A check between rounds, when something suggests Kafka went away (monitored producers only). */
  readonly checkSoon = (): void => {
    if (this.#monitored !== undefined && !this.#stopped && this.#state === 'connected') void this.#checkNow()
  }

  /** A batch was acknowledged: Kafka is back if it was thought gone (the client retried through a short outage). */
  produced (): void {
    this.#setReady(true)
    if (this.#state === 'idle' && !this.#stopped) {
      this.#state = 'connected'
      this.#setReachable(true)
    }
  }

  /** A produce failed as unavailable: not ready, and the cluster is asked now. */
  produceFailed (): void {
    this.#setReady(false)
    this.checkSoon()
  }

  /** A send was not acknowledged in time. */
  timedOut (): void {
    this.#setReady(false)
  }

  /** No more connects or checks (close() began). */
  stop (): void {
    this.#stopped = true
    clearTimeout(this.#monitorTimer)
    this.#monitored?.off('client:broker:disconnect', this.checkSoon)
    this.#monitored?.off('client:broker:failed', this.checkSoon)
  }

  /** The producer is closed, or abandoned: never ready again. */
  closed (): void {
    this.#setReady(false)
  }

  async #firstAnswer (): Promise<void> {
    const options = this.#options
    this.#state = 'connecting'
    try {
      // Connected means a broker answered a request, not only that a socket opened.
      await options.probe.check()
      this.#state = 'connected'
      this.#setReachable(true)
      this.#setReady(true)
      options.onConnected()
    } catch (err) {
      this.#state = 'idle'
      this.#setReady(false)
      const failure = new KafkaUnavailableError(`Cannot connect to Kafka at ${options.brokers.join(',')}: ${messageOf(err)}`, err)
      this.#setReachable(false, failure)
      options.onUnavailable(failure)
      throw failure
    }
  }

  /** One round of monitor(), then the next after healthCheckIntervalMs. */
  async #round (): Promise<void> {
    await this.#checkNow()
    if (this.#stopped) return
    this.#monitorTimer = setTimeout(() => { void this.#round() }, this.#options.healthCheckIntervalMs)
    this.#monitorTimer.unref()
  }

  #checkNow (): Promise<void> {
    this.#checking ??= this.#check().finally(() => { this.#checking = undefined })
    return this.#checking
  }

  /**
   * Connects while not connected, else probes. A failed probe makes Kafka known to be
   * unavailable: records still buffered fail now, and later sends at once, until a connect
   * (the next round) or a produce succeeds.
   */
  async #check (): Promise<void> {
    try {
      if (this.#state === 'connected') {
        await this.#options.probe.check()
        if (!this.#stopped && this.#state === 'connected') {
          this.#setReachable(true)
          this.#setReady(true)
        }
      } else {
        await this.connect()
      }
    } catch (err) {
      if (this.#stopped) return
      this.#setReachable(false, err)
      this.#setReady(false)
      if (this.#state === 'connected') {
        this.#state = 'idle'
        this.#options.onUnavailable(new KafkaUnavailableError(`Kafka is unavailable: ${messageOf(err)}`, err))
      }
    }
  }

  #setReady (value: boolean): void {
    this.#ready = value
    this.#options.metrics?.up.set(value ? 1 : 0)
  }

  #setReachable (value: boolean, err?: unknown): void {
    const { log, metrics, brokers } = this.#options
    metrics?.reachable.set(value ? 1 : 0)
    if (value && this.#reachable !== true) log.info({ brokers }, 'connected to Kafka')
    if (!value && this.#reachable !== false) log.warn({ err, brokers }, 'Kafka not reachable')
    this.#reachable = value
  }
}
