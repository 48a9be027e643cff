import { SluiceError } from '../errors.js'

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
