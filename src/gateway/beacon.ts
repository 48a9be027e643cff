import sjson from 'secure-json-parse'
import { messageOf } from '../errors.js'
import { legacyStreamOf } from '../stream-config/index.js'
import { jsonDepthExceeds } from './json-depth.js'
import type { EventObject } from './pipeline/event-fields.js'
import { isEventObject } from './pipeline/event-fields.js'

/**
 * EventLogging's beacon: `GET /beacon/event?<url-encoded JSON>;` (or the same URL POSTed with no
 * body by `navigator.sendBeacon`), the JSON being EventLogging's capsule
 * `{schema, revision, event, webHost, wiki, ...}`. Wikimedia's migration to the Event Platform
 * turned each capsule into an event of the `analytics/legacy/<schema lower-cased>` schema on the
 * `eventlogging_<Schema>` stream, with `meta.domain` from `webHost`; this module does the same on
 * the server, so the old clients keep working unchanged.
 */

export interface BeaconSettings {
  /** EventLogging schema name → `$schema` URI, as MediaWiki's `$wgEventLoggingSchemas`. */
  schemas: Readonly<Record<string, string>>
  /** Longest capsule, in bytes of decoded JSON. */
  maxBytes: number
  maxEventDepth: number
}

/** Why a beacon carries no event; the answer is 204 all the same. */
export class BeaconMalformedError extends Error {
  readonly outcome: 'malformed' | 'too_large'
  readonly raw: string
  constructor (outcome: 'malformed' | 'too_large', message: string, raw: string) {
    super(message)
    this.outcome = outcome
    this.raw = raw
  }
}

/** A capsule's schema name: it becomes part of a stream and a topic name. */
const schemaName = /^[A-Za-z0-9_]{1,200}$/

/** The capsule in a beacon URL's query: everything after `?`, percent-decoded, without the `;` that ends it. */
export function readCapsule (url: string, settings: BeaconSettings): EventObject {
  const at = url.indexOf('?')
  // As EventLogging's processor (`decode_qson`): '?' and ';' are stripped from both ends.
  const raw = at === -1 ? '' : url.slice(at).replace(/^[?;]+|[?;]+$/g, '')
  // Percent-encoding at least doubles nothing but the bytes it encodes: three times the bound is
  // the longest query whose decoded JSON can still fit.
  if (raw.length > settings.maxBytes * 3) throw new BeaconMalformedError('too_large', `the beacon's query is over ${settings.maxBytes * 3} bytes`, raw.slice(0, settings.maxBytes))
  const text = unquotePlus(raw)
  if (Buffer.byteLength(text) > settings.maxBytes) throw new BeaconMalformedError('too_large', `the capsule is over ${settings.maxBytes} bytes`, text.slice(0, settings.maxBytes))
  if (text.trim() === '') throw new BeaconMalformedError('malformed', 'the beacon carries no capsule', text)
  // The capsule becomes the event, so it is bounded as an event is.
  if (jsonDepthExceeds(text, settings.maxEventDepth)) throw new BeaconMalformedError('malformed', `the capsule nests deeper than ${settings.maxEventDepth} levels (max_event_depth)`, text)
  let capsule: unknown
  try {
    capsule = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    throw new BeaconMalformedError('malformed', `the capsule is not JSON: ${messageOf(err)}`, text)
  }
  if (!isEventObject(capsule)) throw new BeaconMalformedError('malformed', 'the capsule is not a JSON object', text)
  if (typeof capsule.schema !== 'string' || !schemaName.test(capsule.schema)) {
    throw new BeaconMalformedError('malformed', 'the capsule has no schema name (letters, digits and _)', text)
  }
  return capsule
}

/**
 * Python's `unquote_plus`, which EventLogging decoded beacons with: `+` is a space, `%XX` a byte,
 * a `%` not followed by two hex digits stays as it is, and bytes that are not UTF-8 become U+FFFD.
 */
export function unquotePlus (raw: string): string {
  const text = raw.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(text)
  } catch {
    const parts: Buffer[] = []
    let last = 0
    for (const match of text.matchAll(/(?:%[0-9a-fA-F]{2})+/g)) {
      parts.push(Buffer.from(text.slice(last, match.index)), Buffer.from(match[0].replace(/%/g, ''), 'hex'))
      last = match.index + match[0].length
    }
    parts.push(Buffer.from(text.slice(last)))
    return Buffer.concat(parts).toString('utf8')
  }
}

/** The stream of an EventLogging schema's events (the topology's rule). */
export function legacyStream (schema: string): string {
  return legacyStreamOf(schema)
}

/** The `$schema` of a schema's events: the configured one, else the latest version of `analytics/legacy/<schema lower-cased>`. */
export function legacySchemaUri (schema: string, settings: Pick<BeaconSettings, 'schemas'>): { uri: string, latest: boolean } {
  const configured = Object.hasOwn(settings.schemas, schema) ? settings.schemas[schema] : undefined
  return configured === undefined ? { uri: `/analytics/legacy/${schema.toLowerCase()}/latest`, latest: true } : { uri: configured, latest: false }
}

/**
 * The capsule as the migrated EventLogging client sent it to EventGate: its fields as they are,
 * with `$schema`, `meta.stream` and `meta.domain` (the `webHost`). `dt` and `meta.dt` are the
 * receive time, set by the pipeline: what a client put there is dropped, as EventLogging's
 * processor overwrote it.
 */
export function capsuleToEvent (capsule: EventObject, schemaUri: string): EventObject {
  const { meta, ...fields } = capsule
  delete fields.dt
  const ownMeta: EventObject = isEventObject(meta) ? { ...meta } : {}
  delete ownMeta.dt
  const event: EventObject = { $schema: schemaUri, ...fields, meta: { ...ownMeta, stream: legacyStream(capsule.schema as string) } }
  const domain = capsule.webHost
  if (typeof domain === 'string' && domain !== '' && (event.meta as EventObject).domain === undefined) (event.meta as EventObject).domain = domain
  return event
}
