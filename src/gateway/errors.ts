import { SluiceError } from '../errors.js'

// Request-level errors: the whole request is refused before any event is looked at.

export class RequestEmptyError extends SluiceError {
  constructor () {
    super('SLUICE_ERR_REQUEST_EMPTY', 'Request body was empty. Must provide JSON encoded events.', { statusCode: 400 })
  }
}

export class RequestMalformedJsonError extends SluiceError {
  constructor (detail: string, cause?: unknown) {
    super('SLUICE_ERR_REQUEST_MALFORMED_JSON', `Request body is not valid JSON: ${detail}`, { statusCode: 400, cause })
  }
}

export class RequestNotEventsError extends SluiceError {
  constructor (kind: string) {
    super('SLUICE_ERR_REQUEST_NOT_EVENTS', `Request body must be a JSON object (one event) or an array of events, not ${kind}.`, { statusCode: 400 })
  }
}

export class RequestTooLargeError extends SluiceError {
  constructor (limitBytes: number) {
    super('SLUICE_ERR_REQUEST_TOO_LARGE', `Request body is larger than the limit of ${limitBytes} bytes (after decompression).`, { statusCode: 413 })
  }
}

export class RequestTooDeepError extends SluiceError {
  constructor (limit: number) {
    super('SLUICE_ERR_REQUEST_TOO_DEEP', `Request body nests objects or arrays deeper than ${limit} levels per event (max_event_depth).`, { statusCode: 400 })
  }
}

/** Answered from the connection, not a route: the body did not arrive within `request_timeout_ms`. */
export class RequestTimeoutError extends SluiceError {
  constructor (timeoutMs: number) {
    super('SLUICE_ERR_REQUEST_TIMEOUT', `The request was not received completely within ${timeoutMs} ms.`, { statusCode: 408 })
  }
}

/** Answered from the connection: the request line and headers are over Node's `maxHeaderSize`. */
export class RequestHeadersTooLargeError extends SluiceError {
  constructor () {
    super('SLUICE_ERR_REQUEST_HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.', { statusCode: 431 })
  }
}

export class RequestTooManyEventsError extends SluiceError {
  constructor (count: number, limit: number) {
    super('SLUICE_ERR_REQUEST_TOO_MANY_EVENTS', `Request carries ${count} events; at most ${limit} are accepted per request.`, { statusCode: 413 })
  }
}

export class UnsupportedMediaTypeError extends SluiceError {
  constructor (contentType: string) {
    super('SLUICE_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE', `Content-Type '${contentType}' is not accepted; send application/json, text/plain or application/reports+json.`, { statusCode: 415 })
  }
}

export class UnsupportedEncodingError extends SluiceError {
  constructor (detail: string) {
    super('SLUICE_ERR_REQUEST_BAD_ENCODING', detail, { statusCode: 415 })
  }
}

/** A CloudEvents request whose envelope is not CloudEvents 1.0 (a required attribute missing, a bad value). */
export class CloudEventInvalidError extends SluiceError {
  constructor (detail: string) {
    super('SLUICE_ERR_CLOUDEVENT_INVALID', `Not a valid CloudEvent: ${detail}.`, { statusCode: 400 })
  }
}

/** A malformed request that none of the more precise codes describes. */
// Every HTTP service's: src/service/errors.ts.
export { RequestInvalidError, RouteNotFoundError } from '../service/errors.js'

export class TestEventsNotConfiguredError extends SluiceError {
  constructor () {
    super('SLUICE_ERR_TEST_EVENTS_NOT_CONFIGURED', 'No test_events are configured, so /v1/_test/events is not available.', { statusCode: 404 })
  }
}

// Event-level errors: one event fails, the others of the request go on.
// Their messages are EventGate's, because MediaWiki logs and dashboards match on them.

export class EventFieldMissingError extends SluiceError {
  constructor (fields: readonly string[]) {
    super('SLUICE_ERR_EVENT_FIELD_MISSING', `Field(s) ${fields.join(',')} were missing from event and could not be extracted.`, { statusCode: 400 })
  }
}

export class EventInvalidError extends SluiceError {
  readonly errors: readonly object[]
  readonly errorsText: string
  constructor (errors: readonly object[], errorsText: string) {
    super('SLUICE_ERR_EVENT_INVALID', errorsText, { statusCode: 400 })
    this.errors = errors
    this.errorsText = errorsText
  }
}

export class EventTooLargeError extends SluiceError {
  constructor (bytes: number, limit: number) {
    super('SLUICE_ERR_EVENT_TOO_LARGE', `Event is ${bytes} bytes when serialized; the Kafka message limit is ${limit} bytes.`, { statusCode: 413 })
  }
}

export class EventKeyFieldMissingError extends SluiceError {
  constructor (keyField: string) {
    super('SLUICE_ERR_EVENT_KEY_FIELD_MISSING', `Failed extracting ${keyField} from event, field is not defined.`, { statusCode: 400 })
  }
}

export class StreamNotAllowedError extends SluiceError {
  constructor (code: 'SLUICE_ERR_STREAM_NOT_CONFIGURED' | 'SLUICE_ERR_STREAM_CONFIG_INCOMPLETE' | 'SLUICE_ERR_STREAM_SCHEMA_MISMATCH' | 'SLUICE_ERR_SCHEMA_TITLE_MISSING', eventRepr: string, reason: string) {
    super(code, `${eventRepr} is not allowed in stream; ${reason}`, { statusCode: 400 })
  }
}

/** Over the stream's `max_event_bytes` (stream config). */
export class StreamEventTooLargeError extends SluiceError {
  constructor (stream: string, bytes: number, limit: number) {
    super('SLUICE_ERR_STREAM_EVENT_TOO_LARGE', `Event is ${bytes} bytes when serialized; stream ${stream} takes at most ${limit} (max_event_bytes).`, { statusCode: 413 })
  }
}

/** Beyond the stream's `max_events_per_request` events of one request (stream config). */
export class StreamTooManyEventsError extends SluiceError {
  constructor (stream: string, limit: number) {
    super('SLUICE_ERR_STREAM_TOO_MANY_EVENTS', `Stream ${stream} takes at most ${limit} events per request (max_events_per_request); this one is beyond it.`, { statusCode: 413 })
  }
}

/** Over the stream's `rate_limit` on this gateway instance (stream config). */
export class StreamRateLimitedError extends SluiceError {
  readonly retryAfterMs: number
  constructor (stream: string, eventsPerSecond: number, retryAfterMs: number) {
    super('SLUICE_ERR_STREAM_RATE_LIMITED', `Stream ${stream} takes at most ${eventsPerSecond} events per second (rate_limit); try again in ${retryAfterMs} ms.`, { statusCode: 429, retriable: true })
    this.retryAfterMs = retryAfterMs
  }
}
