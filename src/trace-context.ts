import { randomUUID } from 'node:crypto'

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), the `traceparent` and `tracestate`
 * headers, carried from a POST into Kafka record headers and on into every request and event
 * change propagation makes for it. Only what carrying a trace needs: parse, continue, format. A
 * bad `traceparent` is never a reason to refuse an event; a new trace starts instead.
 */
export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string
  /** The span this hop is: 16 lower-case hex digits, not all zero. */
  spanId: string
  /** Two hex digits; bit 0 is "sampled". */
  flags: string
  /** The vendor list, passed on as it came (at most 512 characters, as the spec lets one cut it). */
  tracestate?: string | undefined
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/** The caller's context, or undefined when the header is absent or not valid. */
export function parseTraceparent (traceparent: string | undefined, tracestate?: string): TraceContext | undefined {
  if (traceparent === undefined) return undefined
  const match = traceparentPattern.exec(traceparent.trim())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined]
  // Version ff is invalid; version 00 has exactly four fields; later versions may append more.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  const state = tracestate?.trim()
  return { traceId, spanId, flags, tracestate: state === undefined || state === '' ? undefined : state.slice(0, 512) }
}

/**
 * The context of a new hop: the parent's trace with a new span id, or a new sampled trace when
 * there is no valid parent.
 */
export function childOf (parent: TraceContext | undefined): TraceContext {
  if (parent === undefined) return { traceId: randomHex(16), spanId: randomHex(8), flags: '01' }
  return { traceId: parent.traceId, spanId: randomHex(8), flags: parent.flags, tracestate: parent.tracestate }
}

export function formatTraceparent (context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`
}

/** The headers that carry a context: on an HTTP request or a Kafka record alike. */
export function traceHeaders (context: TraceContext): Record<string, string> {
  return context.tracestate === undefined
    ? { traceparent: formatTraceparent(context) }
    : { traceparent: formatTraceparent(context), tracestate: context.tracestate }
}

/**
 * `bytes` random bytes as hex. They come from version-4 UUIDs, whose generator draws from a
 * pooled entropy buffer: a `randomBytes()` call per id was 6 % of the gateway's CPU at one event
 * per request. Only the UUID's random digits are used (the version and variant digits are not).
 */
function randomHex (bytes: number): string {
  for (;;) {
    let hex = ''
    while (hex.length < bytes * 2) {
      const uuid = randomUUID()
      // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: 12 random digits at the end, 8 at the start.
      hex += uuid.slice(24) + uuid.slice(0, 8)
    }
    hex = hex.slice(0, bytes * 2)
    if (!/^0+$/.test(hex)) return hex
  }
}
