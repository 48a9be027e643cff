import type { StreamsMetrics } from '../metrics/streams.js'
import type { ServiceContext } from '../service/index.js'
import type { StreamsAppDeps } from './app.js'
import type { StreamsConfig } from './config.js'
import { createEventCodec } from './event-codec.js'
import type { ConnectionSlots } from './ip-limit.js'
import type { PlanDeps } from './plan.js'
import { createRedactor } from './redaction.js'
import type { ServedCatalog } from './served-catalog.js'
import type { Session, SessionDeps } from './session.js'
import type { StreamReader } from './tails.js'

/** The service's parts GET /v2/stream/{streams} runs on. */
export interface StreamRouteParts {
  served: ServedCatalog
  reader: StreamReader
  slots: ConnectionSlots
  metrics: StreamsMetrics
  /** Open sessions, ended by the service's close. */
  sessions: Set<Session>
}

/** What the stream route runs on: the plan of a request, each client's session, and the connection limits. */
export function streamRouteDeps (config: Readonly<StreamsConfig>, context: ServiceContext, parts: StreamRouteParts): StreamsAppDeps['stream'] {
  const { logger } = context
  return {
    plan: planDeps(config, context, parts),
    session: sessionDeps(config, context, parts),
    slots: parts.slots,
    metrics: parts.metrics,
    logger,
    sessions: parts.sessions,
    ipLimit: { limit: config.client_ip_connection_limit, overrides: config.client_ip_connection_limit_overrides, retryAfterSeconds: config.client_ip_retry_after_seconds },
    maxConnections: config.max_connections,
    kafkaWaitMs: config.kafka_unavailable_wait_ms
  }
}

/** How a request becomes the streams, positions and filters it asks for. */
function planDeps (config: Readonly<StreamsConfig>, context: ServiceContext, parts: StreamRouteParts): PlanDeps {
  return {
    catalog: () => parts.served.catalog(),
    fetchUnknown: parts.served.fetchUnknown,
    reader: parts.reader,
    logger: context.logger,
    now: () => context.now().getTime(),
    compatible: config.eventstreams_compatible,
    maxStreams: config.max_streams_per_request,
    filterLimits: { maxFilters: config.max_filters, maxValues: config.max_filter_values }
  }
}

/** How one client's stream is read, decoded (redacted once per record) and written. */
function sessionDeps (config: Readonly<StreamsConfig>, context: ServiceContext, parts: StreamRouteParts): SessionDeps {
  return {
    reader: parts.reader,
    decode: createEventCodec(createRedactor(config.mediawiki_redacted_pages)),
    metrics: parts.metrics,
    logger: context.logger,
    settings: {
      heartbeatMs: config.heartbeat_interval_ms,
      maxLifetimeMs: config.max_connection_lifetime_ms,
      maxBufferBytes: config.max_client_buffer_bytes,
      compatible: config.eventstreams_compatible,
      orderWindowMs: config.order_window_ms
    }
  }
}
