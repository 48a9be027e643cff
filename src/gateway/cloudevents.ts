import sjson from 'secure-json-parse'
import { messageOf } from '../errors.js'
import { CloudEventInvalidError } from './errors.js'
import type { EventObject } from './pipeline/event-fields.js'
import { extractFirst, getPath, isEventObject, setPath } from './pipeline/event-fields.js'

/**
 * CloudEvents 1.0 at `POST /v1/events` (the HTTP protocol binding's structured, batched and binary
 * modes, the JSON event format). A CloudEvent becomes the event the EventGate intake would take
 * (its "EventGate form"), so that everything after (schema, stream check, enrichment,
 * validation, record, answers, error events) is the one pipeline; its attributes ride along as
 * the headers of the CloudEvents Kafka binding.
 */

export const cloudEventsMediaType = 'application/cloudevents+json'
export const cloudEventsBatchMediaType = 'application/cloudevents-batch+json'

export interface CloudEventsSettings {
  /** The attribute holding the schema URI (`dataschema`). */
  schemaAttribute: string
  /** The extension attribute naming the stream (`stream`). */
  streamAttribute: string
  /** CloudEvents `type` → stream, for events that name none. */
  typeStreams: Readonly<Record<string, string>>
  /** Absolute `dataschema` prefixes that stand for the schema repository's root. */
  dataschemaPrefixes: readonly string[]
  /** The gateway's schema URI and stream fields (the first of each is filled). */
  schemaUriFields: readonly string[]
  streamFields: readonly string[]
}

/** One CloudEvent in its EventGate form, and the Kafka binding's headers of its record. */
export interface ConvertedEvent {
  event: EventObject
  headers: Record<string, string>
  /** The `id` and `time` attributes, which fill `meta.id` and `dt` where the schema has them. */
  id: string
  time: string | undefined
}

type Attributes = Record<string, unknown>

const contextAttributes = new Set(['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time'])
const extensionName = /^[a-z0-9]{1,20}$/
// RFC 3339 date-time, as the time attribute must be.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/** How a request carries CloudEvents, or undefined when it carries EventGate events. */
export function cloudEventsMode (headers: Readonly<Record<string, string | string[] | undefined>>): 'structured' | 'batch' | 'binary' | undefined {
  const mediaType = mediaTypeOf(headers['content-type'])
  if (mediaType === cloudEventsMediaType) return 'structured'
  if (mediaType === cloudEventsBatchMediaType) return 'batch'
  return headers['ce-specversion'] === undefined ? undefined : 'binary'
}

export function mediaTypeOf (contentType: string | string[] | undefined): string {
  const value = Array.isArray(contentType) ? contentType[0] : contentType
  return (value ?? '').split(';')[0]!.trim().toLowerCase()
}

/**
 * The CloudEvents of a request, each in its EventGate form. A request any of whose CloudEvents
 * is not a valid one is refused whole (400, `SLUICE_ERR_CLOUDEVENT_INVALID`), before anything is
 * produced: its envelope is malformed, as a body that is not JSON is.
 */
export function readCloudEvents (mode: 'structured' | 'batch' | 'binary', body: unknown, headers: Readonly<Record<string, string | string[] | undefined>>, settings: CloudEventsSettings): ConvertedEvent[] | undefined {
  if (mode === 'binary') return body === undefined ? undefined : [convert(binaryAttributes(headers, body), settings, 'the event')]
  if (mode === 'structured') {
    if (body === undefined) return undefined
    if (Array.isArray(body)) throw new CloudEventInvalidError(`a ${cloudEventsMediaType} body is one CloudEvent; send a batch as ${cloudEventsBatchMediaType}`)
    return [convert(body, settings, 'the event')]
  }
  if (body === undefined) return undefined
  if (!Array.isArray(body)) throw new CloudEventInvalidError(`a ${cloudEventsBatchMediaType} body is a JSON array of CloudEvents`)
  return body.map((ce, index) => convert(ce, settings, `event ${index}`))
}

/** Binary mode: the attributes are the `ce-` headers, the body is `data`, its media type `datacontenttype`. */
function binaryAttributes (headers: Readonly<Record<string, string | string[] | undefined>>, body: unknown): Attributes {
  const attributes: Attributes = {}
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || raw === undefined) continue
    const attribute = name.slice(3)
    if (attribute === 'datacontenttype') throw new CloudEventInvalidError('binary mode takes datacontenttype from Content-Type; a ce-datacontenttype header must not be sent')
    attributes[attribute] = decodeHeaderValue(Array.isArray(raw) ? raw.join(', ') : raw, name)
  }
  attributes.datacontenttype = mediaTypeOf(headers['content-type'])
  attributes.data = body
  return attributes
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The HTTP binding's header value encoding: a double-quoted string is unquoted first (older
 * senders), then one round of percent-decoding, and percent-encoded bytes that are not UTF-8 are
 * refused. Senders that do not encode (the SDK for JavaScript among them) are taken as they are:
 * a `%` not followed by two hex digits is a literal one, and raw UTF-8 bytes (which Node reads as
 * Latin-1) are read as UTF-8.
 */
export function decodeHeaderValue (value: string, header: string): string {
  let text = value.trim()
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/\\(.)/g, '$1')
  if (/[^ -~\t]/.test(text)) {
    try {
      text = strictUtf8.decode(Buffer.from(text, 'latin1'))
    } catch {
      // Latin-1 it was.
    }
  }
  if (!text.includes('%') || /%(?![0-9a-f]{2})/i.test(text)) return text
  try {
    return decodeURIComponent(text)
  } catch {
    throw new CloudEventInvalidError(`the ${header} header is not percent-encoded UTF-8`)
  }
}

function convert (raw: unknown, settings: CloudEventsSettings, which: string): ConvertedEvent {
  if (!isEventObject(raw)) throw new CloudEventInvalidError(`${which} is not a JSON object`)
  const attributes = checkAttributes(raw, which)
  const event = dataOf(raw, attributes, which)
  fillSchemaUri(event, attributes, settings)
  fillStream(event, attributes, settings)
  return {
    event,
    headers: kafkaHeaders(attributes),
    id: attributes.id as string,
    time: attributes.time as string | undefined
  }
}

/** The required attributes, and every optional and extension attribute well typed. */
function checkAttributes (raw: EventObject, which: string): Attributes {
  const problem = (text: string): CloudEventInvalidError => new CloudEventInvalidError(`${which}: ${text}`)
  for (const name of ['specversion', 'id', 'source', 'type']) {
    const value = raw[name]
    if (typeof value !== 'string' || value === '') throw problem(`the required attribute ${name} is ${value === undefined ? 'missing' : 'not a non-empty string'}`)
  }
  if (raw.specversion !== '1.0') throw problem(`specversion ${JSON.stringify(raw.specversion)} is not supported; this intake takes CloudEvents 1.0`)
  const attributes: Attributes = {}
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'data' || name === 'data_base64' || value === null) continue
    if (!contextAttributes.has(name) && !extensionName.test(name)) throw problem(`${JSON.stringify(name)} is not a valid attribute name (lower-case letters and digits, at most 20)`)
    if (contextAttributes.has(name) ? typeof value !== 'string' || value === '' : !['string', 'number', 'boolean'].includes(typeof value)) {
      throw problem(`the attribute ${name} has an invalid value`)
    }
    attributes[name] = value
  }
  if (attributes.time !== undefined && !(rfc3339.test(attributes.time as string) && Number.isFinite(Date.parse(attributes.time as string)))) {
    throw problem('the attribute time is not an RFC 3339 timestamp')
  }
  return attributes
}

/** `data` is the event: a JSON object, inline or as `data_base64` of a JSON media type. */
function dataOf (raw: EventObject, attributes: Attributes, which: string): EventObject {
  const type = attributes.datacontenttype as string | undefined
  if (type !== undefined && !isJsonMediaType(mediaTypeOf(type))) throw new CloudEventInvalidError(`${which}: datacontenttype ${type} is not JSON; the data of an event is a JSON object`)
  let data = raw.data
  if (data === undefined && typeof raw.data_base64 === 'string') {
    try {
      data = sjson.parse(Buffer.from(raw.data_base64, 'base64').toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' })
    } catch (err) {
      throw new CloudEventInvalidError(`${which}: data_base64 is not base64 of JSON: ${messageOf(err)}`)
    }
  }
  if (data === undefined || data === null) throw new CloudEventInvalidError(`${which} has no data, so it carries no event`)
  if (!isEventObject(data)) throw new CloudEventInvalidError(`${which}: data is not a JSON object`)
  return data
}

function isJsonMediaType (type: string): boolean {
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json')
}

/** `$schema` from `dataschema` (or the configured attribute), unless the event has one. */
function fillSchemaUri (event: EventObject, attributes: Attributes, settings: CloudEventsSettings): void {
  const value = attributes[settings.schemaAttribute]
  if (typeof value !== 'string' || extractFirst(event, settings.schemaUriFields) !== undefined) return
  const prefix = settings.dataschemaPrefixes.find((p) => value.startsWith(p))
  const uri = prefix === undefined ? value : `/${value.slice(prefix.length).replace(/^\/+/, '')}`
  setPath(event, settings.schemaUriFields[0]!, uri)
}

/** The stream from the extension attribute, else from the configured `type` → stream map, unless the event names one. */
function fillStream (event: EventObject, attributes: Attributes, settings: CloudEventsSettings): void {
  if (extractFirst(event, settings.streamFields) !== undefined) return
  const named = attributes[settings.streamAttribute]
  const stream = typeof named === 'string' && named !== '' ? named : settings.typeStreams[attributes.type as string]
  if (stream !== undefined) setPath(event, settings.streamFields[0]!, stream)
}

/**
 * The Kafka binding's binary-mode headers: every attribute as `ce_<name>` in its canonical string
 * form, and `content-type` for `datacontenttype`. The record's value is always the event as JSON.
 */
function kafkaHeaders (attributes: Attributes): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== 'datacontenttype') headers[`ce_${name}`] = String(value)
  }
  headers['content-type'] = 'application/json'
  return headers
}

/** `meta.id` from `id` and `dt` from `time`, each only where the event lacks it and its schema declares it. */
export function fillFromAttributes (converted: ConvertedEvent, declares: (field: string) => boolean): void {
  const { event } = converted
  if (getPath(event, 'meta.id') === undefined && declares('meta.id')) setPath(event, 'meta.id', converted.id)
  if (converted.time !== undefined && getPath(event, 'dt') === undefined && declares('dt')) setPath(event, 'dt', converted.time)
}
