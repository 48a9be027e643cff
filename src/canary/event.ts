import { CanaryExampleMissingError } from './errors.js'

/** `meta.domain` of every canary event (Wikimedia's value): consumers leave such events out. */
export const canaryDomain = 'canary'

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Whether an event is a canary: `meta.domain` is `canary`. */
export function isCanaryEvent (event: unknown): boolean {
  return isObject(event) && isObject(event.meta) && event.meta.domain === canaryDomain
}

/**
 * A stream's canary event, made as Wikimedia's CanaryEventProducer makes it: a copy of the first
 * of the schema's `examples` with `meta.domain: canary` and `meta.stream` set to the stream, and
 * without `meta.dt`, which the gateway sets to the intake time. `meta.id` goes too (Wikimedia keeps
 * it): the gateway gives each canary a new one, so a stream's `dedupe_window_ms` never takes the
 * next run's canary for a retry of this one. `$schema` is the example's, else the schema's `$id`.
 */
export function buildCanaryEvent (stream: string, schema: Readonly<Record<string, unknown>>, schemaUri: string): Record<string, unknown> {
  const examples = schema.examples
  const example: unknown = Array.isArray(examples) ? examples[0] : undefined
  if (!isObject(example)) throw new CanaryExampleMissingError(stream, schemaUri)
  const event = structuredClone(example)
  const meta = isObject(event.meta) ? event.meta : {}
  delete meta.dt
  delete meta.id
  meta.domain = canaryDomain
  meta.stream = stream
  event.meta = meta
  if (typeof event.$schema !== 'string' || event.$schema === '') {
    const id = schema.$id ?? schema.id
    event.$schema = typeof id === 'string' && id !== '' ? id : schemaUri
  }
  return event
}
