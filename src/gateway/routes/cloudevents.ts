import type { FastifyRequest } from 'fastify'
import type { SchemaResolver } from '../../schemas/index.js'
import type { CloudEventsSettings, ConvertedEvent } from '../cloudevents.js'
import { fillFromAttributes, readCloudEvents } from '../cloudevents.js'
import { declares } from '../pipeline/enrich.js'
import { extractFirst } from '../pipeline/event-fields.js'

/**
 * The CloudEvents of a `POST /v1/events` in their EventGate form, `meta.id` and `dt` filled from
 * `id` and `time` where the event's schema has them; undefined for an empty body (EventGate's
 * 400). The schema is looked up here only to know its fields: a schema that does not load is
 * left to the pipeline, which reports it as it does for every event.
 */
export async function intakeCloudEvents (mode: 'structured' | 'batch' | 'binary', request: FastifyRequest, resolver: SchemaResolver, settings: CloudEventsSettings): Promise<ConvertedEvent[] | undefined> {
  const converted = readCloudEvents(mode, request.body, request.headers, settings)
  if (converted === undefined) return undefined
  await Promise.all(converted.map(async (c) => {
    const uri = extractFirst(c.event, settings.schemaUriFields)
    if (typeof uri !== 'string' || uri === '') return
    const resolved = resolver.cached(uri) ?? await resolver.resolve(uri).catch(() => undefined)
    if (resolved !== undefined) fillFromAttributes(c, (field) => declares(resolved.schema, field))
  }))
  return converted
}
