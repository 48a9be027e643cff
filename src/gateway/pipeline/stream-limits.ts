import type { StreamSettings } from '../../stream-config/index.js'
import { StreamEventTooLargeError, StreamRateLimitedError, StreamTooManyEventsError } from '../errors.js'

/**
 * Per-stream limits from the stream config (`max_event_bytes`, `max_events_per_request`,
 * `rate_limit: {events_per_second, burst}`), applied to the events of one request in their
 * order, after each passed every other stage. The rate is a token bucket per stream and gateway
 * instance; buckets are refilled from the clock when asked, so nothing runs on a timer.
 */
export interface StreamLimits {
  /** Throws the limit the event (its serialized record value) is over, or takes one token of its stream's rate. */
  admit(stream: string, settings: StreamSettings | undefined, value: string | Buffer, countInRequest: number, nowMs: number, options: { rate: boolean }): void
}

interface Bucket { tokens: number, at: number, rate: number, burst: number }

interface RateLimit { events_per_second: number, burst: number }

export function createStreamLimits (): StreamLimits {
  const buckets = new Map<string, Bucket>()

  function takeToken (stream: string, limit: RateLimit, nowMs: number): void {
    let bucket = buckets.get(stream)
    if (bucket === undefined || bucket.rate !== limit.events_per_second || bucket.burst !== limit.burst) {
      // New, or the stream config changed the limit: start full.
      bucket = { tokens: limit.burst, at: nowMs, rate: limit.events_per_second, burst: limit.burst }
      buckets.set(stream, bucket)
    }
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * bucket.rate)
    bucket.at = nowMs
    if (bucket.tokens < 1) {
      throw new StreamRateLimitedError(stream, limit.events_per_second, Math.ceil(((1 - bucket.tokens) / bucket.rate) * 1000))
    }
    bucket.tokens -= 1
  }

  return {
    admit (stream, settings, value, countInRequest, nowMs, options) {
      if (settings === undefined) return
      const maxBytes = settings.max_event_bytes
      // Measured only for streams that set a size: most do not, and this runs for every event.
      if (typeof maxBytes === 'number') {
        const bytes = Buffer.byteLength(value)
        if (bytes > maxBytes) throw new StreamEventTooLargeError(stream, bytes, maxBytes)
      }
      const maxEvents = settings.max_events_per_request
      if (typeof maxEvents === 'number' && countInRequest > maxEvents) throw new StreamTooManyEventsError(stream, maxEvents)
      const rate = settings.rate_limit as RateLimit | undefined
      // Trying events (validate-only) must not use up the stream's rate.
      if (rate !== undefined && options.rate) takeToken(stream, rate, nowMs)
    }
  }
}
