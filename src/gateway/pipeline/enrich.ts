import type { TraceContext } from '../../trace-context.js'
import type { EventObject } from './event-fields.js'
import { getPath, isEventObject, setPath } from './event-fields.js'

/** What enrichment needs to know about the request an event came in. */
export interface RequestInfo {
  requestId: string
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>
  remoteAddress: string | undefined
  /** The parsed query string (legacy intake takes `$schema` and the stream from it). */
  query: Readonly<Record<string, unknown>>
  /** The gateway's span of the request's trace: its records carry it in their headers. */
  trace?: TraceContext | undefined
}

export interface EnrichOptions {
  /** header name → dotted event field, EventGate's `http_request_headers_to_fields`. */
  headersToFields: Readonly<Record<string, string>>
  now: Date
  newId: () => string
  /** Default `fill`. */
  metaDt?: MetaDtPolicy
  /** The schema's `title`: legacy EventLogging schemas (`analytics/legacy/…`) get `dt` filled. */
  title?: string | undefined
}

/**
 * What becomes of `meta.dt` (the intake time in Wikimedia's schemas): `keep` leaves the event as it
 * came (never filled), `fill` sets it only when absent (EventGate), `intake` always sets it to the
 * intake time, so a client cannot stamp its events (what a public intake should do).
 */
export type MetaDtPolicy = 'keep' | 'fill' | 'intake'

/** The stream's `meta_dt_policy`, else the gateway's. */
export function metaDtPolicyOf (streamSettings: unknown, fallback: MetaDtPolicy): MetaDtPolicy {
  if (!isEventObject(streamSettings)) return fallback
  const policy = streamSettings.meta_dt_policy
  return policy === 'keep' || policy === 'fill' || policy === 'intake' ? policy : fallback
}

/** EventGate truncates header values it copies into events. */
const maxHeaderValueLength = 400

/** What enrichment may fill for events of one schema: decided once per schema, not per event. */
export interface EnrichPlan {
  metaId: boolean
  metaDt: boolean
  legacyDt: boolean
  /** header name → dotted field, for the fields the schema can take. */
  headerFields: ReadonlyArray<readonly [string, string]>
  clientIp: boolean
}

export function planEnrichment (schema: Readonly<Record<string, unknown>>, headersToFields: Readonly<Record<string, string>>, title: string | undefined): EnrichPlan {
  return {
    metaId: declares(schema, 'meta.id'),
    metaDt: declares(schema, 'meta.dt'),
    // EventLogging's `dt` was the receive time; elsewhere `dt` is the client's event time, never filled.
    legacyDt: title?.startsWith('analytics/legacy') === true && declares(schema, 'dt'),
    headerFields: Object.entries(headersToFields).filter(([, field]) => declares(schema, field) || parentAcceptsAnyKey(schema, field)),
    clientIp: declares(schema, 'http.client_ip')
  }
}

/**
 * Fills `meta.id`, `meta.dt`, legacy `dt`, request headers and `http.client_ip`, each only where the
 * event lacks it and its schema declares it (so strict schemas never get surprise fields); `meta.dt`
 * as its policy says.
 */
export function enrichEvent (event: EventObject, schema: Readonly<Record<string, unknown>>, request: RequestInfo, options: EnrichOptions): void {
  applyEnrichment(event, planEnrichment(schema, options.headersToFields, options.title), request, { nowIso: options.now.toISOString(), newId: options.newId, metaDt: options.metaDt })
}

/** enrichEvent with the schema's plan made already. */
export function applyEnrichment (event: EventObject, plan: EnrichPlan, request: RequestInfo, options: { nowIso: string, newId: () => string, metaDt?: MetaDtPolicy | undefined }): void {
  if (plan.metaId && getPath(event, 'meta.id') === undefined) setPath(event, 'meta.id', options.newId())
  const metaDt = options.metaDt ?? 'fill'
  if (plan.metaDt && metaDt !== 'keep' && (metaDt === 'intake' || getPath(event, 'meta.dt') === undefined)) setPath(event, 'meta.dt', options.nowIso)
  if (plan.legacyDt && getPath(event, 'dt') === undefined) setPath(event, 'dt', options.nowIso)
  for (const [header, field] of plan.headerFields) {
    const value = header === 'x-request-id' ? request.requestId : firstHeader(request.headers[header])
    if (value === undefined || getPath(event, field) !== undefined) continue
    setPath(event, field, value.slice(0, maxHeaderValueLength))
  }
  if (plan.clientIp && getPath(event, 'http.client_ip') === undefined) {
    const ip = clientIp(request)
    if (ip !== undefined) setPath(event, 'http.client_ip', ip.slice(0, maxHeaderValueLength))
  }
}

/** X-Client-IP, else the leftmost X-Forwarded-For, else the socket's address (EventGate's order). */
export function clientIp (request: RequestInfo): string | undefined {
  const explicit = firstHeader(request.headers['x-client-ip'])?.trim()
  if (explicit !== undefined && explicit !== '') return explicit
  const forwarded = firstHeader(request.headers['x-forwarded-for'])?.split(',')[0]?.trim()
  if (forwarded !== undefined && forwarded !== '') return forwarded
  return request.remoteAddress
}

/** The first value of a header Node may have split into several. */
export function firstHeader (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function subschema (schema: Readonly<Record<string, unknown>>, path: readonly string[]): Record<string, unknown> | undefined {
  let node: unknown = schema
  for (const key of path) {
    if (!isEventObject(node)) return undefined
    const properties = node.properties
    if (!isEventObject(properties) || !Object.hasOwn(properties, key)) return undefined
    node = properties[key]
  }
  return isEventObject(node) ? node : undefined
}

/** Whether the (materialized) schema declares the dotted field. */
export function declares (schema: Readonly<Record<string, unknown>>, field: string): boolean {
  return subschema(schema, field.split('.')) !== undefined
}

/** A map-like object (e.g. `http.request_headers`) whose parent is declared and open to new keys. */
function parentAcceptsAnyKey (schema: Readonly<Record<string, unknown>>, field: string): boolean {
  const parts = field.split('.')
  if (parts.length < 2) return false
  const parent = subschema(schema, parts.slice(0, -1))
  return parent !== undefined && parent.type === 'object' && parent.additionalProperties !== false &&
    (parent.additionalProperties !== undefined || parent.properties === undefined)
}
