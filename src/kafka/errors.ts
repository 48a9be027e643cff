import { SluiceError, messageOf } from '../errors.js'
import type { KafkaSecurity } from './client.js'

// Producing. The gateway turns these into per-event results, so the status
// codes matter: 503 tells a client that the same request may succeed later.

/** Kafka did not acknowledge in time, or is known to be unreachable. */
export class KafkaUnavailableError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_UNAVAILABLE', message, { statusCode: 503, retriable: true, cause })
  }
}

// Reaching a secured cluster. A broker that refuses the client (credentials, certificates, the
// wrong kind of listener) is not an outage: startup stops with one of these, and a running
// service reports it while not ready. 503 where a request meets it, as for any Kafka failure.

/** A broker refused the client's SASL authentication: wrong credentials, or a mechanism it does not enable. */
export class KafkaAuthenticationError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_AUTHENTICATION', message, { statusCode: 503, retriable: true, cause })
  }
}

/** TLS verification failed: a certificate not signed by a trusted CA, expired, for another name, or a client certificate the broker refused. */
export class KafkaTlsError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_TLS', message, { statusCode: 503, retriable: true, cause })
  }
}

/** The client and the listener do not speak the same protocol: plaintext against TLS, or TLS against plaintext. */
export class KafkaProtocolMismatchError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_PROTOCOL_MISMATCH', message, { statusCode: 503, retriable: true, cause })
  }
}

/** One of the three above: the cluster answered, and refused this client as configured. */
export type KafkaAccessError = KafkaAuthenticationError | KafkaTlsError | KafkaProtocolMismatchError

export function isKafkaAccessError (err: unknown): err is KafkaAccessError {
  return err instanceof KafkaAuthenticationError || err instanceof KafkaTlsError || err instanceof KafkaProtocolMismatchError
}

/** The broker refused the records for a reason that retrying will not fix. */
export class KafkaProduceError extends SluiceError {
  /** The Kafka protocol error name (e.g. `MESSAGE_TOO_LARGE`), when the broker gave one. */
  readonly kafkaError: string | undefined
  constructor (message: string, kafkaError?: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_PRODUCE', message, { statusCode: 500, retriable: false, cause })
    this.kafkaError = kafkaError
  }
}

/** `send()` after `close()` began. Another instance may still take the records. */
export class KafkaProducerClosedError extends SluiceError {
  constructor () {
    super('SLUICE_ERR_KAFKA_PRODUCER_CLOSED', 'The Kafka producer is shutting down and accepts no more records.', { statusCode: 503, retriable: true })
  }
}

/** An admin request (create topics, list offsets) failed. */
export class KafkaAdminError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_ADMIN', message, { statusCode: 500, retriable: true, cause })
  }
}

/** A topic the stream reader was asked about does not exist. */
export class UnknownTopicError extends SluiceError {
  readonly topics: string[]
  constructor (topics: string[]) {
    super('SLUICE_ERR_KAFKA_UNKNOWN_TOPIC', `Unknown topics: ${topics.join(', ')}`, { statusCode: 404, retriable: false })
    this.topics = topics
  }
}

// What the client's errors mean: retriable or not, a broker's refusal of records, a refusal of
// this client as configured.

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

/** Certificate checks that fail on the client's side (Node's codes). */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  CERT_NOT_YET_VALID: "the broker's certificate is not valid yet",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the broker's certificate is not signed by a CA of kafka.ssl.ca_file",
  UNABLE_TO_GET_ISSUER_CERT: "the broker's certificate is not signed by a CA of kafka.ssl.ca_file",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the broker's certificate is not signed by a CA of kafka.ssl.ca_file",
  SELF_SIGNED_CERT_IN_CHAIN: "the broker's certificate chain ends in a CA that kafka.ssl.ca_file does not hold",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed and not in kafka.ssl.ca_file",
  CERT_SIGNATURE_FAILURE: "the broker's certificate signature does not verify",
  CERT_REVOKED: "the broker's certificate is revoked",
  CERT_UNTRUSTED: "the broker's certificate is not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate is for another host name (kafka.ssl.server_name)"
}

/**
 * Whether a failed connection means the broker refused this client as configured, and why:
 * SASL authentication (wrong credentials, a mechanism the broker does not enable), TLS
 * verification (either side's certificate), or a protocol mismatch (plaintext against TLS or
 * the reverse). `lastEvent` is what the connection reported as an event (a TLS alert from the
 * broker arrives that way). Undefined for anything else (a network failure, a timeout).
 */
export function accessErrorOf (err: unknown, lastEvent: Error | undefined, security: KafkaSecurity | undefined): KafkaAccessError | undefined {
  const chain = [...errorChain(err), ...errorChain(lastEvent)]
  const who = security?.mechanism === undefined ? '' : ` (${security.mechanism}${security.username === undefined ? '' : ` as ${security.username}`})`
  if (chain.some((e) => e.code === 'PLT_KFK_AUTHENTICATION' || e.apiId === 'SASL_AUTHENTICATION_FAILED' || e.apiId === 'ILLEGAL_SASL_STATE')) {
    const unsupported = chain.some((e) => /suitable SASL mechanism|does not support the requested SASL mechanism/i.test(e.message))
    return new KafkaAuthenticationError(unsupported
      ? `the broker does not enable the SASL mechanism ${security?.mechanism ?? '(none configured)'} on this listener`
      : security?.mechanism === 'OAUTHBEARER'
        ? 'SASL authentication failed (OAUTHBEARER): the broker refused the token of kafka.sasl.token_file (expired, or not valid for this cluster)'
        : `SASL authentication failed${who}: wrong username or password, or no such user`, err)
  }
  for (const e of chain) {
    const problem = e.code === undefined ? undefined : CERTIFICATE_PROBLEMS[e.code]
    if (problem !== undefined) return new KafkaTlsError(`TLS verification failed: ${problem} (${e.code})`, err)
  }
  const alert = chain.find((e) => e.code?.startsWith('ERR_SSL_') === true)
  if (alert !== undefined) return new KafkaTlsError(`the broker ended the TLS handshake (${alert.code}): it requires a client certificate it trusts (kafka.ssl.cert_file), or refuses the TLS settings`, err)
  if (chain.some((e) => e.message === 'Broker requires TLS.')) {
    return new KafkaProtocolMismatchError('the listener speaks TLS and the client plaintext: set kafka.ssl, or use a plaintext listener', err)
  }
  if (chain.some((e) => /verify the broker supports TLS/.test(e.message))) {
    return new KafkaProtocolMismatchError('the client speaks TLS and the listener does not: use the broker\'s TLS listener, or remove kafka.ssl', err)
  }
  return undefined
}

/** Every error of the tree under `err` (aggregated `errors`, then `cause`), with its codes and message. */
interface ChainedError { code: string | undefined, apiId: string | undefined, message: string }

function errorChain (err: unknown, depth = 0, into: ChainedError[] = []): ChainedError[] {
  if (err === null || typeof err !== 'object' || depth > 8) return into
  const e = err as { code?: unknown, apiId?: unknown, message?: unknown, errors?: unknown, cause?: unknown }
  into.push({ code: typeof e.code === 'string' ? e.code : undefined, apiId: typeof e.apiId === 'string' ? e.apiId : undefined, message: typeof e.message === 'string' ? e.message : '' })
  if (Array.isArray(e.errors)) for (const inner of e.errors as unknown[]) errorChain(inner, depth + 1, into)
  if (e.cause !== err) errorChain(e.cause, depth + 1, into)
  return into
}

/**
 * A refusal the broker states for the records themselves (too large, invalid,
 * not authorized) will not change on retry. Anything else (connection
 * errors, timeouts, leaders moving, retries exhausted) means Kafka is not
 * available right now.
 */
export function classifyProduceError (err: unknown): KafkaUnavailableError | KafkaProduceError {
  // A broker refusing the client (credentials, certificates) refuses every record alike: Kafka
  // is unavailable to this producer, not the records invalid.
  const refused = accessErrorOf(err, undefined, undefined)
  if (refused !== undefined) return new KafkaUnavailableError(`Kafka is unavailable: ${refused.message}`, refused)
  const refusal = protocolErrorOf(err, (_name, retriable) => !retriable)
  if (refusal !== undefined) return new KafkaProduceError(`Kafka refused the records: ${refusal.message}`, refusal.name, err)
  return new KafkaUnavailableError(`Kafka is unavailable: ${messageOf(err)}`, err)
}
