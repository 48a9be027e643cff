import type { BaseOptions } from '@platformatic/kafka'
import { messageOf } from '../errors.js'

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
}

/**
 * The options every @platformatic/kafka client of Sluice starts from (producer, consumers,
 * admin calls, probes). Kept here so the defaults are chosen in one place.
 */
export function kafkaClientOptions (options: KafkaClientOptions): BaseOptions {
  const delay = options.retryDelayMs ?? 250
  return {
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 10000,
    timeout: options.requestTimeoutMs ?? 10000,
    retries: options.retries ?? 3,
    retryDelay: typeof delay === 'number' ? delay : (_client, _operation, attempt) => delay(attempt)
  }
}

/**
 * Whether the same request can succeed later: anything but a broker's answer that says it
 * cannot (e.g. a session timeout the broker refuses). Network errors and timeouts may pass.
 */
export function isRetriable (err: unknown): boolean {
  return findKafkaError(err, (e) => typeof e.apiId === 'string' && e.canRetry === false) === undefined
}

/**
 * The first Kafka protocol error (a broker's error code, e.g. `MESSAGE_TOO_LARGE`) that `err`
 * carries and `match` accepts, with the broker's wording of it.
 */
export function protocolErrorOf (err: unknown, match: (name: string, retriable: boolean) => boolean = () => true): { name: string, message: string } | undefined {
  const found = findKafkaError(err, (e) => typeof e.apiId === 'string' && match(e.apiId, e.canRetry !== false))
  return found === undefined ? undefined : { name: found.apiId as string, message: messageOf(found) }
}

interface KafkaErrorFields { apiId?: unknown, canRetry?: unknown, errors?: unknown, cause?: unknown }

/**
 * The first error of the tree under `err` (aggregated `errors`, then `cause`) that matches:
 * the client wraps a broker's answer in one error per retry and per partition.
 */
function findKafkaError (err: unknown, match: (e: KafkaErrorFields) => boolean, depth = 0): KafkaErrorFields | undefined {
  if (err === null || typeof err !== 'object' || depth > 8) return undefined
  const e = err as KafkaErrorFields
  if (match(e)) return e
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors as unknown[]) {
      const found = findKafkaError(inner, match, depth + 1)
      if (found !== undefined) return found
    }
  }
  return e.cause === err ? undefined : findKafkaError(e.cause, match, depth + 1)
}
