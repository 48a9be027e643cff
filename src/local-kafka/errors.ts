import { SluiceError } from '../errors.js'

// The local development broker: what can stop `sluice kafka` and the test runner from starting one.

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

/** The local MirrorMaker 2 exited (or never said it started); `output` is the end of its log. */
export class MirrorExitedError extends SluiceError {
  constructor (code: number | null, output: string) {
    super('SLUICE_ERR_KAFKA_MIRROR_EXITED', `MirrorMaker 2 exited with code ${String(code)} before it started:\n${output}`)
  }
}

/** The secured listeners' certificates are made with openssl, which was not found. */
export class OpensslMissingError extends SluiceError {
  constructor (cause?: unknown) {
    super('SLUICE_ERR_KAFKA_OPENSSL_MISSING', "The local Kafka broker's secured listeners need openssl to make their certificates, but 'openssl' was not found on PATH.", { cause })
  }
}

/** Making the secured listeners' certificates, or formatting the storage with SCRAM users, failed. */
export class SecurityMaterialError extends SluiceError {
  constructor (message: string, cause?: unknown) {
    super('SLUICE_ERR_KAFKA_SECURITY_SETUP', `Setting up the local broker's secured listeners failed: ${message}`, { cause })
  }
}
