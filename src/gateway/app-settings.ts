import type { GatewayAppDeps } from './app.js'
import type { GatewayConfig } from './config.js'
import { parseByteSize } from './config.js'
import { asList } from './pipeline/event-fields.js'

/** What the HTTP app takes from the gateway's config. */
export type GatewayAppSettings = Pick<GatewayAppDeps, 'bodyLimit' | 'maxEventDepth' | 'requestTimeoutMs' | 'maxEventsPerRequest' | 'testEvents' | 'cors' | 'cloudEvents' | 'beacon'>

/** The HTTP app's limits, CORS, test events, and how CloudEvents and beacons name their schema and stream. */
export function gatewayAppSettings (config: Readonly<GatewayConfig>): GatewayAppSettings {
  return {
    bodyLimit: parseByteSize(config.max_body_size),
    maxEventDepth: config.max_event_depth,
    requestTimeoutMs: config.request_timeout_ms,
    maxEventsPerRequest: config.max_events_per_request,
    testEvents: config.test_events,
    cors: config.cors,
    cloudEvents: {
      schemaAttribute: config.cloudevents.schema_attribute,
      streamAttribute: config.cloudevents.stream_attribute,
      typeStreams: config.cloudevents.type_streams,
      dataschemaPrefixes: config.cloudevents.dataschema_prefixes,
      schemaUriFields: asList(config.schema_uri_field),
      streamFields: asList(config.stream_field)
    },
    beacon: { schemas: config.beacon.schemas, maxBytes: config.beacon.max_capsule_bytes, maxEventDepth: config.max_event_depth }
  }
}
