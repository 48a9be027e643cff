import type { EventObject } from './event-fields.js'
import { getPath } from './event-fields.js'

export interface ErrorEventOptions {
  schemaUri: string
  stream: string
  emitterId: string
  now: Date
}

function text (value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * An invalid event becomes an event of the error schema (fields as Wikimedia's `/error/2.x`),
 * so the invalid data is kept and can be replayed once its producer is fixed.
 */
export function buildErrorEvent (event: unknown, message: string, errorType: string, options: ErrorEventOptions): EventObject {
  const original: EventObject = event !== null && typeof event === 'object' && !Array.isArray(event) ? event as EventObject : {}
  const meta: EventObject = { stream: options.stream }
  const uri = text(getPath(original, 'meta.uri'))
  const domain = text(getPath(original, 'meta.domain'))
  const requestId = text(getPath(original, 'meta.request_id'))
  if (uri !== undefined) meta.uri = uri
  if (domain !== undefined) meta.domain = domain
  if (requestId !== undefined) meta.request_id = requestId
  return {
    $schema: options.schemaUri,
    meta,
    dt: options.now.toISOString(),
    emitter_id: options.emitterId,
    raw_event: typeof event === 'string' ? event : JSON.stringify(event),
    message,
    error_type: errorType,
    errored_schema_uri: text(getPath(original, '$schema')) ?? 'unknown',
    errored_stream_name: text(getPath(original, 'meta.stream')) ?? 'unknown'
  }
}
