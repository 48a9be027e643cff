import type { ServedStream } from './catalog.js'

const problem = {
  type: 'object',
  properties: {
    status: { type: 'integer' },
    type: { type: 'string' },
    title: { type: 'string' },
    detail: { type: 'string' },
    method: { type: 'string' },
    uri: { type: 'string' },
    code: { type: 'string', description: 'Sluice\'s stable error code' }
  }
}

const kafkaSseError = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    origin: { type: 'string', enum: ['KafkaSSE'] },
    name: { type: 'string' },
    statusCode: { type: 'integer' },
    last_event_id: { type: 'string' },
    code: { type: 'string' }
  }
}

const idEntry = {
  type: 'object',
  required: ['topic', 'partition'],
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer', minimum: 0 },
    offset: { type: 'integer', minimum: -2, description: 'Next offset to read; used when `cluster` is this cluster (or the entry has no timestamp). -1: the end.' },
    timestamp: { type: 'integer', minimum: 0, description: 'Milliseconds since the epoch: read from the first record at or after it.' },
    seen: { type: 'integer', minimum: 0, description: 'Records at exactly `timestamp` already received, skipped on a timestamp resume.' },
    cluster: { type: 'string', description: 'The Kafka cluster id `offset` belongs to.' }
  }
}

function json (schema: unknown): unknown {
  return { 'application/json': { schema } }
}

/**
 * The OpenAPI document at `/?spec`, as EventStreams builds it: the `{streams}` parameter's
 * enum lists every served name (aliases too), and each stream has its own documentation path.
 */
export function openApiSpec (catalog: ReadonlyMap<string, ServedStream>, version: string): Record<string, unknown> {
  const names = [...catalog.keys()]
  const responses = {
    200: {
      description: 'A never-ending stream: Server-Sent Events, or newline-delimited JSON with `Accept: application/json`.',
      content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } }
    },
    400: { description: 'Unknown stream, invalid `since`, filter or Last-Event-ID, or a missing X-Client-IP.', content: json({ oneOf: [problem, kafkaSseError] }) },
    404: { description: 'A Last-Event-ID names a topic that is not part of the requested streams.', content: json(kafkaSseError) },
    429: { description: 'Too many concurrent streams from this client IP; see Retry-After.', content: json(problem) },
    500: { description: 'None of the streams\' topics exist.', content: json(kafkaSseError) },
    503: { description: 'Kafka is unreachable or this instance is at its connection limit; see Retry-After.', content: json(problem) }
  }
  const parameters = [
    { name: 'streams', in: 'path', required: true, style: 'simple', explode: false, description: 'Comma-separated stream names or aliases.', schema: { type: 'array', items: { type: 'string', enum: names } } },
    { name: 'since', in: 'query', required: false, description: 'Start at this time: milliseconds since the epoch, or a date Date.parse accepts. Ignored for partitions the Last-Event-ID names.', schema: { type: 'string' } },
    { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume position: the `id` of the last event received (a JSON array of entries).', schema: { type: 'array', items: idEntry } },
    { name: 'filter', in: 'query', required: false, style: 'deepObject', explode: true, description: 'filter[<dotted.path>]=v1,v2: only events whose field equals one of the values (or matches a /regex/); several filters must all match.', schema: { type: 'object', additionalProperties: { type: 'string' } } },
    { name: 'canary', in: 'query', required: false, description: '`exclude` leaves out canary events (meta.domain "canary").', schema: { type: 'string', enum: ['include', 'exclude'], default: 'include' } },
    { name: 'order', in: 'query', required: false, description: '`time` merges partitions and datacenters by timestamp within a bounded window.', schema: { type: 'string', enum: ['time'] } },
    { name: 'ndjson_ids', in: 'query', required: false, description: 'With Accept: application/json, each line carries its resume position as `_id`.', schema: { type: 'string', enum: ['true'] } }
  ]
  const paths: Record<string, unknown> = {
    '/v2/stream/{streams}': { get: { summary: 'Stream events of one or more streams', parameters, responses } }
  }
  for (const stream of catalog.values()) {
    paths[`/v2/stream/${stream.name}`] = {
      get: {
        summary: stream.description,
        description: `Topics: ${stream.topics.join(', ')}.${stream.schemaTitle === undefined ? '' : ` Schema: ${stream.schemaTitle}.`}`,
        parameters: parameters.slice(1),
        responses
      }
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Sluice streams', version, description: 'EventStreams-compatible Server-Sent Events of Kafka streams.' },
    paths,
    components: { schemas: { IdEntry: idEntry, Problem: problem, KafkaSSEError: kafkaSseError } }
  }
}
