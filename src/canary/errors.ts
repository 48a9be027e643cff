import { SluiceError } from '../errors.js'

// Every code here is listed, with its meaning, in docs/canary.md.

/** The stream's schema has no `examples`, so no canary event can be built for it. */
export class CanaryExampleMissingError extends SluiceError {
  readonly stream: string
  constructor (stream: string, schemaUri: string) {
    super('SLUICE_ERR_CANARY_EXAMPLE_MISSING', `stream ${stream}: its schema ${schemaUri} has no examples to build a canary event from`)
    this.stream = stream
  }
}

/** No gateway of the datacenter takes the stream (its destination_event_service names none). */
export class CanaryNoGatewayError extends SluiceError {
  constructor (stream: string, datacenter: string, eventService: string | undefined) {
    super('SLUICE_ERR_CANARY_NO_GATEWAY', `stream ${stream}: no gateway of ${datacenter} takes it${eventService === undefined ? '' : ` (destination_event_service ${eventService})`}`)
  }
}

/** The gateway could not be reached, or did not answer within the timeout. */
export class CanaryGatewayUnreachableError extends SluiceError {
  readonly url: string
  constructor (url: string, cause: unknown) {
    super('SLUICE_ERR_CANARY_GATEWAY_UNREACHABLE', `the gateway did not answer: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retriable: true })
    this.url = url
  }
}

/** The gateway answered with a status that accepts nothing, and did not name the event. */
export class CanaryGatewayAnswerError extends SluiceError {
  readonly url: string
  readonly status: number
  constructor (url: string, status: number, detail: string) {
    super('SLUICE_ERR_CANARY_GATEWAY_ANSWER', `the gateway answered ${status}${detail === '' ? '' : `: ${detail}`}`)
    this.url = url
    this.status = status
  }
}

/** The run's metrics could not be pushed to the Pushgateway. */
export class CanaryPushFailedError extends SluiceError {
  constructor (url: string, detail: string, cause?: unknown) {
    super('SLUICE_ERR_CANARY_PUSH_FAILED', `pushing the metrics to ${url} failed: ${detail}`, { cause, retriable: true })
  }
}
