import type { StreamSettings } from './schema.js'
import type { StreamConfigData } from './load.js'
import { isRegexKey } from './load.js'

export type { StreamSettings } from './schema.js'
export type { StreamConfigData, StreamConfigSourceOptions } from './load.js'
export { readStreamConfig, validateStreamConfig, checkStreamRegex } from './load.js'
export { StreamConfigInvalidError, StreamConfigUnavailableError } from './errors.js'

export interface StreamMatch {
  /** The config key that matched: the stream name itself or a `/regex/`. */
  key: string
  settings: StreamSettings
}

export interface StreamIndex {
  lookup(stream: string): StreamMatch | undefined
  /** Every declared stream (keys as written, regexes included). */
  all(): StreamConfigData
  /** EventGate's /v1/stream-configs/:streams answer: requested names that resolve, others omitted. */
  select(streams: readonly string[]): StreamConfigData
}

/** Bounds the memo of regex matches: stream names come from clients. */
const maxMemoEntries = 10000

/** Exact names first, then the first regex in declaration order, as EventStreamConfig does. */
export function createStreamIndex (data: StreamConfigData): StreamIndex {
  const exact = new Map<string, StreamSettings>()
  const patterns: Array<{ key: string, regex: RegExp, settings: StreamSettings }> = []
  for (const [key, settings] of Object.entries(data)) {
    if (isRegexKey(key)) patterns.push({ key, regex: new RegExp(key.slice(1, -1)), settings })
    else exact.set(key, settings)
  }
  const memo = new Map<string, StreamMatch | null>()

  function lookup (stream: string): StreamMatch | undefined {
    const settings = exact.get(stream)
    if (settings !== undefined) return { key: stream, settings }
    const known = memo.get(stream)
    if (known !== undefined) return known ?? undefined
    const found = patterns.find((p) => p.regex.test(stream))
    const match = found === undefined ? null : { key: found.key, settings: found.settings }
    if (memo.size >= maxMemoEntries) memo.clear()
    memo.set(stream, match)
    return match ?? undefined
  }

  return {
    lookup,
    all: () => data,
    select (streams) {
      const out: StreamConfigData = {}
      for (const stream of streams) {
        const match = lookup(stream)
        if (match !== undefined) out[stream] = match.settings
      }
      return out
    }
  }
}
