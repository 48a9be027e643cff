const problem = {
  type: 'object',
  required: ['status', 'code', 'title', 'detail'],
  properties: {
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable error code, e.g. SLUICE_ERR_REQUEST_MALFORMED_JSON' },
    title: { type: 'string' },
    detail: { type: 'string' },
    method: { type: 'string' },
    uri: { type: 'string' }
  }
}

const eventStatus = {
  type: 'object',
  required: ['status', 'event', 'context'],
  properties: {
    status: { enum: ['invalid', 'error'] },
    event: { description: 'The event as processed (schema defaults and enrichment applied).' },
    context: {
      type: 'object',
      description: 'invalid: {errors, errorsText} (Ajv errors); error: {message, code}.'
    }
  }
}

const failures = {
  type: 'object',
  properties: {
    invalid: { type: 'array', items: { $ref: '#/components/schemas/EventStatus' } },
    error: { type: 'array', items: { $ref: '#/components/schemas/EventStatus' } }
  }
}

function problemResponse (description: string) {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
}

function failureResponse (description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Failures' } } } }
}

function json (description: string, schema: object = { type: 'object' }) {
  return { description, content: { 'application/json': { schema } } }
}

/** The OpenAPI 3 description of every route, served at GET /?spec. */
export function openApiDocument (version: string): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Sluice',
      version,
      description: 'EventGate-compatible event intake: validates events against versioned JSON schemas and produces them to Kafka.'
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Validate and produce one event or an array of events',
          parameters: [
            { name: 'hasty', in: 'query', schema: { enum: ['true', '1', 'false', '0'] }, description: 'true or 1: answer 202 before processing.' },
            { name: 'validate_only', in: 'query', schema: { enum: ['true', '1', 'false', '0'] }, description: 'true or 1: every stage but the produce; nothing reaches Kafka; full success answers 200.' }
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } },
              'text/plain': { schema: { type: 'string', description: 'JSON text (navigator.sendBeacon)' } },
              'application/reports+json': { schema: { type: 'array' } },
              'application/cloudevents+json': { schema: { type: 'object', required: ['specversion', 'id', 'source', 'type', 'data'], description: 'One CloudEvent 1.0 (structured mode); data is the event. Binary mode: ce-* headers, the event as an application/json body.' } },
              'application/cloudevents-batch+json': { schema: { type: 'array', items: { type: 'object' }, description: 'CloudEvents 1.0 (batched mode)' } }
            }
          },
          responses: {
            200: { description: 'validate_only: all events are valid; nothing was produced (no body).' },
            201: { description: 'All events were accepted (no body).' },
            202: { description: 'Hasty: received, processed after the response (no body).' },
            207: failureResponse('Some events were accepted; the others are listed.'),
            400: { description: 'All events were invalid ({invalid}), or the request itself was bad, e.g. nested deeper than max_event_depth (problem body).', content: { 'application/json': { schema: { $ref: '#/components/schemas/Failures' } }, 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
            408: problemResponse('The body did not arrive within request_timeout_ms; the connection is closed.'),
            413: problemResponse('Body or event count over the limit.'),
            415: problemResponse('Unsupported Content-Type or Content-Encoding.'),
            500: failureResponse('No event was accepted and at least one errored.'),
            503: failureResponse('No event was accepted because Kafka is unavailable; retry after Retry-After seconds.')
          }
        }
      },
      '/v1/_test/events': { get: { summary: 'Process the configured test events (readiness probe)', responses: { 201: { description: 'Accepted' }, 404: problemResponse('No test events configured') } } },
      '/v1/streams': { get: { summary: 'The stream config', responses: { 200: json('Stream name or /regex/ → settings') } } },
      '/v1/stream-configs/{streams}': {
        get: {
          summary: 'Settings of the named streams (comma or | separated); all when omitted',
          parameters: [{ name: 'streams', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: json('Stream name → settings') }
        }
      },
      '/beacon/event': {
        get: { summary: 'EventLogging\'s beacon: the query is the url-encoded capsule, ended by ;', responses: { 204: { description: 'Always; failures become error events and metrics' } } },
        post: { summary: 'The same URL from navigator.sendBeacon (the body is not read)', responses: { 204: { description: 'Always' } } }
      },
      '/schemas/': { get: { summary: 'List schema titles (JSON, or HTML for browsers)', responses: { 200: json('Titles') } } },
      '/schemas/{title}/{version}': {
        get: {
          summary: 'A materialized schema version (or latest); JSON, or YAML with Accept: application/yaml or a .yaml suffix',
          parameters: [{ name: 'title', in: 'path', required: true, schema: { type: 'string' } }, { name: 'version', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: json('The schema'), 404: problemResponse('Unknown title or version') }
        }
      },
      '/schemas/check': { post: { summary: 'Check a proposed schema for robustness and compatibility', responses: { 200: json('Violations') } } },
      '/admin/reload': { post: { summary: 'Re-read the stream config and the git schema repository (as SIGHUP)', responses: { 200: json('{streams, schemas}: what reloaded'), 503: json('Something failed to reload; the last good state is kept') } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: json('ok') } } },
      '/readyz': { get: { summary: 'Readiness: Kafka reachable and config loaded', responses: { 200: json('ready'), 503: json('not ready') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format' } } } },
      '/_info': { get: { summary: 'Service name, version, description, home', responses: { 200: json('info') } } },
      '/robots.txt': { get: { summary: 'Disallow all crawlers', responses: { 200: { description: 'text/plain' } } } },
      '/': { get: { summary: 'This document, with ?spec', parameters: [{ name: 'spec', in: 'query', schema: { type: 'string' } }], responses: { 200: json('OpenAPI 3 document') } } }
    },
    components: { schemas: { Problem: problem, EventStatus: eventStatus, Failures: failures } }
  }
}
