import { LoopDetectedError } from './errors.js'

/**
 * The `triggered_by` chain: a comma-separated list of `<stream>:<uri>` hops, starting with
 * `req:<request id>`, that says which events led to this one. It travels in retry events,
 * in events produced by exec steps, and in the `x-triggered-by` header of exec requests,
 * in the same format as Wikimedia Change Propagation.
 */
export interface EventMeta {
  stream?: unknown
  /** The stream's name in events of the reference's first years (before `meta.stream`). */
  topic?: unknown
  uri?: unknown
  request_id?: unknown
  id?: unknown
  dt?: unknown
  domain?: unknown
}

export interface ChainedEvent {
  meta?: EventMeta
  triggered_by?: unknown
}

/**
 * The stream an event names: `meta.stream`, or `meta.topic` in events shaped as the
 * reference's were before `meta.stream` existed (its test configuration still produces them).
 */
export function streamOfEvent (event: ChainedEvent): string | undefined {
  const meta = event.meta
  if (typeof meta?.stream === 'string' && meta.stream !== '') return meta.stream
  if (typeof meta?.topic === 'string' && meta.topic !== '') return meta.topic
  return undefined
}

/** `<stream>:<uri>` of an event; `fallbackStream` (the topic) when it names no stream. */
export function hopOf (event: ChainedEvent, fallbackStream: string): string {
  const stream = streamOfEvent(event) ?? fallbackStream
  const uri = typeof event.meta?.uri === 'string' ? event.meta.uri : ''
  return `${stream}:${uri}`
}

/** The chain that led to `event`, including the event itself. */
export function triggeredBy (event: ChainedEvent, fallbackStream: string): string {
  const previous = typeof event.triggered_by === 'string' && event.triggered_by !== ''
    ? event.triggered_by
    : typeof event.meta?.request_id === 'string' && event.meta.request_id !== '' ? `req:${event.meta.request_id}` : ''
  const hop = hopOf(event, fallbackStream)
  return previous === '' ? hop : `${previous},${hop}`
}

// http and https URIs of one resource count as the same hop.
function normalize (text: string): string {
  return text.replace(/:https?:\/\//g, '://')
}

/**
 * Refuses to produce an event whose hop is already in the chain that led to it (the
 * event would re-trigger itself), or that would make the chain longer than `maxLength`
 * hops. The reference has no such guard; its producers had to protect themselves.
 * URIs may contain commas, so hops are found by their `<stream>:` start, and the
 * cycle check compares whole comma-delimited hops as text.
 */
export function assertNoLoop (chain: string, hop: string, maxLength: number): void {
  if (`,${normalize(chain)},`.includes(`,${normalize(hop)},`)) throw new LoopDetectedError(hop, 'cycle')
  const hops = chain.split(',').filter((part) => /^[A-Za-z0-9._-]+:/.test(part) && !part.startsWith('req:'))
  if (hops.length + 1 > maxLength) throw new LoopDetectedError(hop, 'depth')
}
