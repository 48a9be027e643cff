/**
 * The `reason` label of `sluice_gateway_events_total{outcome="error"}` for each error code, and
 * whose mistake it is. EventGate answers 500 for unknown schemas and undeclared streams, and
 * Sluice keeps those statuses, so the status cannot tell a client's mistake from server trouble;
 * this table can. Alerts page only on server-side reasons, and client-side failures log at warn.
 */
export type FailureSide = 'client' | 'server'

export interface FailureReason {
  reason: string
  side: FailureSide
}

const reasons: Readonly<Record<string, FailureReason>> = {
  SLUICE_ERR_EVENT_FIELD_MISSING: { reason: 'field_missing', side: 'client' },
  SLUICE_ERR_EVENT_KEY_FIELD_MISSING: { reason: 'key_field_missing', side: 'client' },
  SLUICE_ERR_EVENT_TOO_LARGE: { reason: 'too_large', side: 'client' },
  SLUICE_ERR_SCHEMA_NOT_FOUND: { reason: 'schema_not_found', side: 'client' },
  // An author's draft (current.yaml) asked for by name: the repository is fine.
  SLUICE_ERR_SCHEMA_NOT_PUBLISHED: { reason: 'schema_not_published', side: 'client' },
  SLUICE_ERR_SCHEMA_URI_REFUSED: { reason: 'schema_uri_refused', side: 'client' },
  SLUICE_ERR_SCHEMA_TITLE_MISSING: { reason: 'schema_title_missing', side: 'client' },
  SLUICE_ERR_STREAM_NOT_CONFIGURED: { reason: 'stream_not_configured', side: 'client' },
  SLUICE_ERR_STREAM_SCHEMA_MISMATCH: { reason: 'stream_schema_mismatch', side: 'client' },
  // The stream is declared but not usable yet; it was logged at warn when it appeared, and
  // producers of it see the reason in every answer. Nothing on the gateway is broken.
  SLUICE_ERR_STREAM_CONFIG_INCOMPLETE: { reason: 'stream_config_incomplete', side: 'client' },
  // Over a limit the stream's own config sets: the producer's traffic, not the gateway's trouble.
  SLUICE_ERR_STREAM_EVENT_TOO_LARGE: { reason: 'stream_event_too_large', side: 'client' },
  SLUICE_ERR_STREAM_TOO_MANY_EVENTS: { reason: 'stream_too_many_events', side: 'client' },
  SLUICE_ERR_STREAM_RATE_LIMITED: { reason: 'stream_rate_limited', side: 'client' },
  SLUICE_ERR_SCHEMA_FETCH: { reason: 'schema_fetch', side: 'server' },
  // A stream asked for on demand (stream_config_fetch_unknown) whose source did not answer.
  SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE: { reason: 'stream_config_unavailable', side: 'server' },
  SLUICE_ERR_SCHEMA_INVALID: { reason: 'schema_invalid', side: 'server' },
  SLUICE_ERR_SCHEMA_INSECURE: { reason: 'schema_insecure', side: 'server' },
  SLUICE_ERR_SCHEMA_TOO_LARGE: { reason: 'schema_too_large', side: 'server' },
  SLUICE_ERR_KAFKA_UNAVAILABLE: { reason: 'kafka_unavailable', side: 'server' },
  SLUICE_ERR_KAFKA_PRODUCER_CLOSED: { reason: 'kafka_unavailable', side: 'server' },
  SLUICE_ERR_KAFKA_PRODUCE: { reason: 'kafka_produce', side: 'server' }
}

/** Anything unexpected is the server's: a bug pages rather than hides. */
const internal: FailureReason = { reason: 'internal', side: 'server' }

export function failureReason (code: string | undefined): FailureReason {
  return (code === undefined ? undefined : reasons[code]) ?? internal
}

/** Every client-side reason, for checks that alerts and docs name the same set. */
export function clientReasons (): string[] {
  return [...new Set(Object.values(reasons).filter((r) => r.side === 'client').map((r) => r.reason))].sort()
}
