import {
  Connection,
  type ConnectionOptions,
  apiVersionsV1,
  apiVersionsV3,
  clientSoftwareName,
  clientSoftwareVersion,
  metadataV4,
  metadataV5,
  metadataV6,
  metadataV7,
  metadataV8,
  metadataV9,
  metadataV10,
  metadataV11,
  metadataV12
} from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import { kafkaConnectionOptions } from './client.js'
import type { KafkaSecurity } from './client.js'
import { KafkaAuthenticationError, KafkaProtocolMismatchError, KafkaTlsError, KafkaUnavailableError, accessErrorOf, isKafkaAccessError, protocolErrorOf } from './errors.js'
import type { KafkaAccessError } from './errors.js'
import { messageOf } from '../errors.js'
import { deadlineIn, withDeadline } from '../deadline.js'

export interface ClusterProbeOptions {
  brokers: readonly string[]
  clientId: string
  /** Upper bound of one probe, TCP connect, TLS and SASL included. */
  timeoutMs: number
  security?: KafkaSecurity
  logger: Logger
}

/**
 * Asks a cluster whether it answers, over one long-lived connection per bootstrap address:
 * readiness probes every few seconds in every process must not cost the brokers a new
 * connection (and a TLS handshake and a SASL exchange) each time.
 */
export interface ClusterProbe {
  /**
   * Resolves once one of the brokers answered a Metadata request within `timeoutMs`. Rejects
   * with a KafkaAuthenticationError, KafkaTlsError or KafkaProtocolMismatchError when a broker
   * refused this client as configured, else with a KafkaUnavailableError naming every broker's
   * failure. Each bootstrap address is asked on its own, so that one broker down out of three
   * does not read as the cluster down.
   *
   * An open TCP connection is not enough: an address that accepts connections and never
   * answers must not count as connected, so a broker has to answer a request.
   */
  check(): Promise<void>
  /** Closes the connections; check() rejects from then on. */
  close(): Promise<void>
}

type MetadataApi = typeof metadataV12.api

/** Metadata versions this probe can send, newest first (Kafka 4 dropped those before 4). */
const metadataApis: readonly MetadataApi[] = [metadataV12, metadataV11, metadataV10, metadataV9, metadataV8, metadataV7, metadataV6, metadataV5, metadataV4].map((m) => m.api as MetadataApi)
const METADATA_KEY = 3

export function createClusterProbe (options: ClusterProbeOptions): ClusterProbe {
  const connectionOptions = kafkaConnectionOptions(options.security, { connectTimeoutMs: options.timeoutMs, requestTimeoutMs: options.timeoutMs })
  const links = options.brokers.map((address) => new BrokerLink(address, options.clientId, connectionOptions))
  let closed = false

  async function askWithin (link: BrokerLink): Promise<void> {
    try {
      await withDeadline(link.ask(), deadlineIn(options.timeoutMs), () => new Error(`no answer within ${options.timeoutMs} ms`))
    } catch (err) {
      const refused = accessErrorOf(err, link.lastError, options.security)
      // A connection that failed a probe is not trusted with the next one.
      link.forget()
      if (refused !== undefined) throw refused
      throw new Error(messageOf(err), { cause: err })
    }
  }

  return {
    async check () {
      if (closed) throw new KafkaUnavailableError('The Kafka health probe is closed')
      const failures: Array<{ address: string, err: unknown }> = []
      const attempts = links.map(async (link) => {
        try {
          await askWithin(link)
        } catch (err) {
          failures.push({ address: link.address, err })
          throw err
        }
      })
      try {
        await Promise.any(attempts)
      } catch {
        throw combined(failures, options.timeoutMs)
      }
    },
    async close () {
      closed = true
      await Promise.all(links.map(async (link) => { await link.close() }))
    }
  }
}

/** One bootstrap address and the connection kept to it between probes. */
class BrokerLink {
  readonly address: string
  /** What the connection last reported through its 'error' event (a TLS alert arrives there). */
  lastError: Error | undefined
  readonly #host: string
  readonly #port: number
  readonly #clientId: string
  readonly #connectionOptions: ConnectionOptions
  #connection: Connection | undefined
  /** The Metadata version the connection's broker takes (negotiated once per connection). */
  #metadata: MetadataApi | undefined

  constructor (address: string, clientId: string, connectionOptions: ConnectionOptions) {
    this.address = address
    const colon = address.lastIndexOf(':')
    this.#host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
    this.#port = Number(address.slice(colon + 1))
    this.#clientId = clientId
    this.#connectionOptions = connectionOptions
  }

  /** Resolves once the broker answered a Metadata request naming at least one broker. */
  async ask (): Promise<void> {
    const connection = await this.#connect()
    const api = await this.#metadataApi(connection)
    const metadata = await api.async(connection, [], false, false)
    if (metadata.brokers.length === 0) throw new Error('the metadata response lists no broker')
  }

  /** Drops the connection (closed in the background) and what was learnt over it. */
  forget (): void {
    const connection = this.#connection
    this.#connection = undefined
    this.#metadata = undefined
    this.lastError = undefined
    if (connection !== undefined) connection.close().catch(() => undefined)
  }

  async close (): Promise<void> {
    const connection = this.#connection
    this.forget()
    await connection?.close().catch(() => undefined)
  }

  async #connect (): Promise<Connection> {
    if (this.#connection?.isConnected() === true) return this.#connection
    this.forget()
    const connection = new Connection(this.#clientId, this.#connectionOptions)
    this.#connection = connection
    // Errors after the connect (a TLS alert, a reset) arrive as events; without a listener
    // an 'error' event would end the process.
    connection.on('error', (err: Error) => { this.lastError = err })
    await connection.connect(this.#host, this.#port)
    return connection
  }

  async #metadataApi (connection: Connection): Promise<MetadataApi> {
    if (this.#metadata !== undefined) return this.#metadata
    let versions
    try {
      versions = await apiVersionsV3.api.async(connection, clientSoftwareName, clientSoftwareVersion)
    } catch (err) {
      if (protocolErrorOf(err, (name) => name === 'UNSUPPORTED_VERSION') === undefined) throw err
      versions = await apiVersionsV1.api.async(connection, clientSoftwareName, clientSoftwareVersion)
    }
    const range = versions.apiKeys.find((api) => api.apiKey === METADATA_KEY)
    const api = metadataApis.find((candidate) => range !== undefined && candidate.version >= range.minVersion && candidate.version <= range.maxVersion)
    if (api === undefined) throw new Error(`the broker takes no Metadata version this client sends (${range === undefined ? 'none listed' : `${range.minVersion}-${range.maxVersion}`})`)
    this.#metadata = api
    return api
  }
}

/**
 * Every broker failed: a refusal (credentials, certificates, protocol) says more than an outage
 * and is what the caller must act on, so it wins over the brokers that could not be reached.
 */
function combined (failures: ReadonlyArray<{ address: string, err: unknown }>, timeoutMs: number): KafkaAccessError | KafkaUnavailableError {
  const reasons = failures.map(({ address, err }) => `${address}: ${messageOf(err)}`).join('; ')
  const refusal = failures.map(({ err }) => err).find(isKafkaAccessError)
  const all = new AggregateError(failures.map(({ err }) => err), reasons)
  if (refusal instanceof KafkaAuthenticationError) return new KafkaAuthenticationError(`Kafka refused the client's authentication (${reasons})`, all)
  if (refusal instanceof KafkaTlsError) return new KafkaTlsError(`TLS with Kafka failed (${reasons})`, all)
  if (refusal instanceof KafkaProtocolMismatchError) return new KafkaProtocolMismatchError(`The client and the Kafka listener do not speak the same protocol (${reasons})`, all)
  return new KafkaUnavailableError(`No Kafka broker answered a metadata request within ${timeoutMs} ms (${reasons})`, all)
}

/**
 * One probe with a connection of its own, closed afterwards: for a single question (startup,
 * a command), not for readiness, which keeps a ClusterProbe.
 */
export async function probeCluster (options: ClusterProbeOptions): Promise<void> {
  const probe = createClusterProbe(options)
  try {
    await probe.check()
  } finally {
    // Not awaited: a broker that does not answer may hold the close up as well.
    probe.close().catch(() => undefined)
  }
}

/**
 * The startup check of a service: rejects with the refusal when the cluster refuses this client
 * as configured (wrong credentials, untrusted certificate, TLS against plaintext), within
 * `timeoutMs`. A cluster that cannot be reached is not a reason to stop: the service starts not
 * ready and connects when Kafka is back, so this resolves then.
 */
export async function checkKafkaAccess (options: ClusterProbeOptions): Promise<void> {
  try {
    await probeCluster(options)
  } catch (err) {
    if (isKafkaAccessError(err)) throw err
    // The service's own probes say so at warn; this is only the first attempt.
    options.logger.debug({ err, brokers: options.brokers }, 'Kafka not reachable at startup; starting not ready')
  }
}
