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

// The local development broker.

export class JavaMissingError extends SluiceError {
  constructor (cause?: unknown) {
    super('SLUICE_ERR_KAFKA_JAVA_MISSING', "The local Kafka broker needs Java 17 or newer, but 'java' was not found on PATH.", { cause })
  }
}

export class MavenMissingError extends SluiceError {
  constructor (cause?: unknown) {
    super('SLUICE_ERR_KAFKA_MAVEN_MISSING', "Fetching the Kafka jars needs Maven, but 'mvn' was not found on PATH.", { cause })
  }
}

export class KafkaVersionUnsupportedError extends SluiceError {
  readonly version: string
  constructor (version: string) {
    super('SLUICE_ERR_KAFKA_VERSION_UNSUPPORTED', `Kafka version '${version}' is not supported by the local broker: give a 3.9.x or 4.x release (x.y.z), e.g. with --version or KAFKA_VERSION.`)
    this.version = version
  }
}

export class KafkaJarFetchError extends SluiceError {
  readonly output: string
  constructor (output: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_FETCH_FAILED', `Maven could not fetch the Kafka jars:\n${output}`, { cause })
    this.output = output
  }
}

export class BrokerPortInUseError extends SluiceError {
  readonly port: number
  constructor (port: number) {
    super('SLUICE_ERR_KAFKA_PORT_IN_USE', `Port ${port} on 127.0.0.1 is already in use; choose another with --port or KAFKA_PORT.`)
    this.port = port
  }
}

export class BrokerStartTimeoutError extends SluiceError {
  readonly timeoutMs: number
  readonly logTail: string
  constructor (timeoutMs: number, logTail: string) {
    super('SLUICE_ERR_KAFKA_START_TIMEOUT', `The local Kafka broker did not answer a metadata request within ${timeoutMs} ms. Last lines of its log:\n${logTail}`)
    this.timeoutMs = timeoutMs
    this.logTail = logTail
  }
}

export class BrokerExitedError extends SluiceError {
  readonly exitCode: number | null
  readonly logTail: string
  constructor (exitCode: number | null, signal: string | null, logTail: string) {
    super('SLUICE_ERR_KAFKA_BROKER_EXITED', `The local Kafka broker exited during start-up (${signal ?? `exit code ${String(exitCode)}`}). Last lines of its log:\n${logTail}`)
    this.exitCode = exitCode
    this.logTail = logTail
  }
}
