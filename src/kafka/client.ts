import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { BaseOptions, ConnectionOptions, SASLOptions } from '@platformatic/kafka'
import { clientDefaults } from './options.js'

export interface KafkaClientOptions {
  brokers: readonly string[]
  clientId: string
  /** How long one TCP connect may take. */
  connectionTimeoutMs?: number
  /** How long one broker request may take before the client gives up on it. */
  requestTimeoutMs?: number
  /** Client-level retries of a failed request (each after `retryDelayMs`). */
  retries?: number
  /** The wait before each retry: a fixed time, or one per attempt (1 for the first retry). */
  retryDelayMs?: number | ((attempt: number) => number)
  /** TLS and SASL (resolved by security.ts); plaintext when undefined. */
  security?: KafkaSecurity
}

/**
 * The options every @platformatic/kafka client of Sluice starts from (producer, consumers,
 * admin calls, probes), with the defaults of options.ts.
 */
export function kafkaClientOptions (options: KafkaClientOptions): BaseOptions {
  const delay = options.retryDelayMs ?? clientDefaults.retryDelayMs
  return {
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: options.connectionTimeoutMs ?? clientDefaults.connectTimeoutMs,
    requestTimeout: options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs,
    timeout: options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs,
    retries: options.retries ?? clientDefaults.retries,
    retryDelay: typeof delay === 'number' ? delay : (_client, _operation, attempt) => delay(attempt),
    ...options.security?.clientOptions()
  }
}

/**
 * The options of a bare connection or connection pool (probes, the stream reader's fetch
 * loops): the same security as the clients, and the timeouts given.
 */
export function kafkaConnectionOptions (security: KafkaSecurity | undefined, timeouts: { connectTimeoutMs?: number, requestTimeoutMs?: number } = {}): ConnectionOptions {
  return {
    ...(timeouts.connectTimeoutMs === undefined ? {} : { connectTimeout: timeouts.connectTimeoutMs }),
    ...(timeouts.requestTimeoutMs === undefined ? {} : { requestTimeout: timeouts.requestTimeoutMs }),
    ...security?.clientOptions()
  }
}

/** The security settings as the Kafka client takes them: what `kafkaClientOptions` adds. */
export interface KafkaSecurityOptions {
  tls?: TlsOptions
  tlsServerName?: string
  sasl?: SASLOptions
}

/**
 * A cluster's resolved security settings. It carries key material and secret readers, so it
 * shows itself (JSON, logs, util.inspect) as its description only.
 */
export class KafkaSecurity {
  readonly #options: KafkaSecurityOptions
  /** The listener type and identity, e.g. `SASL_SSL (SCRAM-SHA-512 as sluice)`: never a secret. */
  readonly description: string

  constructor (options: KafkaSecurityOptions, description: string) {
    this.#options = options
    this.description = description
  }

  /** What the Kafka client's options get (TLS options, server name, SASL with its credential readers). */
  clientOptions (): KafkaSecurityOptions {
    return this.#options
  }

  /** The SASL username, for messages (never the secret). */
  get username (): string | undefined {
    const username = this.#options.sasl?.username
    return typeof username === 'string' ? username : undefined
  }

  get mechanism (): string | undefined {
    return this.#options.sasl?.mechanism
  }

  toJSON (): string {
    return this.description
  }

  toString (): string {
    return this.description
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return `KafkaSecurity(${this.description})`
  }
}

/** Header names and values as UTF-8 text; the first value of a repeated header. */
export function decodeHeaders (headers: ReadonlyMap<Buffer | string, Buffer | string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of headers) {
    const key = name.toString()
    if (value === undefined || key in out) continue
    out[key] = value.toString()
  }
  return out
}
