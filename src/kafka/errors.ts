import { SluiceError } from '../errors.js'

// Producing. The gateway turns these into per-event results, so the status
// codes matter: 503 tells a client that the same request may succeed later.

/** Kafka did not acknowledge in time, or is known to be unreachable. */
export class KafkaUnavailableError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_UNAVAILABLE', message, { statusCode: 503, retriable: true, cause })
  }
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
