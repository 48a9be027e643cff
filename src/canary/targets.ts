import type { CanaryConfig } from './config.js'

/** One gateway a datacenter's canaries are posted to. */
export interface GatewayTarget {
  datacenter: string
  /** Its `POST /v1/events` URL. */
  url: string
  /** Set when the gateway takes only the streams of this `destination_event_service`. */
  eventService: string | undefined
}

export function gatewayTargets (gateways: CanaryConfig['gateways']): GatewayTarget[] {
  return Object.entries(gateways).flatMap(([datacenter, entries]) => entries.map((entry) => typeof entry === 'string'
    ? { datacenter, url: entry, eventService: undefined }
    : { datacenter, url: entry.url, eventService: entry.event_service }))
}

/**
 * The gateways of one datacenter a stream's canary goes to: those named for its
 * `destination_event_service` (the EventStreamConfig setting that says which intake service takes
 * the stream), else every gateway named for no service. Empty when none takes it.
 */
export function targetsFor (targets: readonly GatewayTarget[], datacenter: string, eventService: string | undefined): GatewayTarget[] {
  const local = targets.filter((target) => target.datacenter === datacenter)
  const named = eventService === undefined ? [] : local.filter((target) => target.eventService === eventService)
  return named.length > 0 ? named : local.filter((target) => target.eventService === undefined)
}
