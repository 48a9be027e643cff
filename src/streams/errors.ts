import { SluiceError } from '../errors.js'
import type { ErrorCode } from '../error-codes.js'

/** What a request was, for the bodies that echo it. */
export interface RequestInfo { method: string, uri: string }

/**
 * A stream request refused before any stream byte. EventStreams answers two body shapes, and
 * clients read both: the service template's problem (`{status, type, title, detail, method, uri}`)
 * and KafkaSSE's serialized error (`{message, origin: "KafkaSSE", name, statusCode, ...}`).
 * Both carry Sluice's stable `code` as well.
 */
export abstract class StreamRequestError extends SluiceError {
  /** Seconds, for a Retry-After header. */
  retryAfter?: number
  abstract body (request: RequestInfo): Record<string, unknown>
}

abstract class ProblemError extends StreamRequestError {
  constructor (code: ErrorCode, statusCode: number, readonly type: string, readonly title: string, readonly detail: string) {
    super(code, detail, { statusCode })
  }

  body (request: RequestInfo): Record<string, unknown> {
    return { status: this.statusCode, type: this.type, title: this.title, detail: this.detail, method: request.method, uri: request.uri, code: this.code }
  }
}

export class ClientIpMissingError extends ProblemError {
  constructor () {
    super('SLUICE_ERR_STREAMS_CLIENT_IP_MISSING', 400, 'bad_request', 'Missing Required X-Client-IP Header', 'This service limits connections per client IP and needs the X-Client-IP header.')
  }
}

export class TooManyConnectionsError extends ProblemError {
  constructor (retryAfterSeconds: number) {
    super('SLUICE_ERR_STREAMS_TOO_MANY_CONNECTIONS', 429, 'too_many_requests', 'Too Many Concurrent Connections From Your Client IP', 'Your HTTP client is likely opening too many concurrent connections.')
    this.retryAfter = retryAfterSeconds
  }
}

export class StreamNotFoundError extends ProblemError {
  constructor (streams: readonly string[]) {
    super('SLUICE_ERR_STREAMS_NOT_FOUND', 400, 'not_found', 'Stream Not Found', `Invalid streams: ${streams.join(',')}`)
  }
}

export class InvalidSinceError extends ProblemError {
  constructor (since: string) {
    super('SLUICE_ERR_STREAMS_INVALID_SINCE', 400, 'invalid_timestamp', 'Invalid timestamp', `since must be milliseconds since the epoch or a date; got ${JSON.stringify(since)}`)
  }
}

export class InvalidFilterError extends ProblemError {
  constructor (detail: string) {
    super('SLUICE_ERR_STREAMS_INVALID_FILTER', 400, 'invalid_filter', 'Invalid filter', detail)
  }
}

export class BadStreamRequestError extends ProblemError {
  constructor (detail: string) {
    super('SLUICE_ERR_STREAMS_BAD_REQUEST', 400, 'bad_request', 'Bad Request', detail)
  }
}

export class AtCapacityError extends ProblemError {
  constructor (limit: number) {
    super('SLUICE_ERR_STREAMS_AT_CAPACITY', 503, 'service_unavailable', 'Too Many Connections', `This instance serves its maximum of ${limit} streams; try again shortly.`)
    this.retryAfter = 1
  }
}

export class StreamsKafkaUnavailableError extends ProblemError {
  constructor (detail: string) {
    super('SLUICE_ERR_KAFKA_UNAVAILABLE', 503, 'service_unavailable', 'Kafka Unavailable', detail)
    this.retryAfter = 5
  }
}

/** KafkaSSE's error body: `origin: "KafkaSSE"`, the class name, and the status it answered. */
abstract class KafkaSseError extends StreamRequestError {
  protected extra: Record<string, unknown> = {}

  body (): Record<string, unknown> {
    return { message: this.message, origin: 'KafkaSSE', name: this.name, ...this.extra, statusCode: this.statusCode, code: this.code }
  }
}

export class InvalidAssignmentError extends KafkaSseError {
  constructor (message: string, lastEventId: string, originalName?: string) {
    super('SLUICE_ERR_STREAMS_INVALID_LAST_EVENT_ID', message, { statusCode: 400 })
    this.extra = originalName === undefined ? { last_event_id: lastEventId } : { originalName, last_event_id: lastEventId }
  }
}

export class TopicNotAvailableError extends KafkaSseError {
  constructor (topics: readonly string[]) {
    super('SLUICE_ERR_STREAMS_TOPIC_NOT_AVAILABLE', `Topics ${topics.join(', ')} are not available for consumption.`, { statusCode: 404 })
  }
}

export class ConfigurationError extends KafkaSseError {
  constructor (topics: readonly string[]) {
    super('SLUICE_ERR_STREAMS_NO_TOPICS', `No topics available for consumption. None of ${topics.join(', ')} exist in Kafka.`, { statusCode: 500 })
  }
}

/**
 * A stream accepted while Kafka did not answer, and Kafka still had not answered after
 * `kafka_unavailable_wait_ms`: the client is told in an `event: error`, and the stream ends
 * cleanly, which an EventSource answers by reconnecting.
 */
export class KafkaWaitExpiredError extends SluiceError {
  constructor (waitMs: number) {
    super('SLUICE_ERR_KAFKA_UNAVAILABLE', `Kafka did not answer within ${waitMs} ms of the stream's start; reconnect (with the last event id) to try again.`, { statusCode: 503, retriable: true })
  }
}

/** A client that does not read what it is sent: it is told once and disconnected. */
export class ClientTooSlowError extends SluiceError {
  constructor (limit: number) {
    super('SLUICE_ERR_STREAMS_CLIENT_TOO_SLOW', `The client did not read the stream fast enough: more than ${limit} bytes were waiting to be sent.`, { statusCode: 500 })
  }
}
