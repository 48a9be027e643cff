import type { StreamConfigProblem, StreamSettings } from './schema.js'
import { settingsProblem } from './schema.js'
import type { StreamConfigData } from './load.js'
import { isRegexKey } from './load.js'

/** The config entry a stream name resolves to; `problem` is set when it accepts no events. */
export type StreamMatch =
  | { /** The stream name itself or a `/regex/`. */ key: string, settings: StreamSettings, problem?: undefined }
  | { key: string, settings: unknown, problem: StreamConfigProblem }

export interface StreamIndex {
  lookup(stream: string): StreamMatch | undefined
  /** Every declared stream (keys as written, regexes included). */
  all(): StreamConfigData
  /** EventGate's /v1/stream-configs/:streams answer: requested names that resolve, others omitted. */
  select(streams: readonly string[]): StreamConfigData
  /** Declared entries that accept no events, and why. */
  incomplete(): Array<{ key: string, problem: StreamConfigProblem }>
  /**
   * Adds streams learnt after the load (fetched on demand), by exact name. At most `maxAdded`
   * are kept; beyond that the earliest added are forgotten (and fetched again when next seen).
   */
  extend(entries: StreamConfigData): void
}

/** Bounds the memo of regex matches: stream names come from clients. */
const maxMemoEntries = 10000

/** Exact names first, then the first regex in declaration order, as EventStreamConfig does. */
export function createStreamIndex (data: StreamConfigData, options: { maxAdded?: number } = {}): StreamIndex {
  const maxAdded = options.maxAdded ?? 10000
  const added = new Map<string, unknown>()
  const exact = new Map<string, StreamMatch>()
  const patterns: Array<{ regex: RegExp, match: StreamMatch }> = []
  for (const [key, settings] of Object.entries(data)) {
    const match = toMatch(key, settings)
    if (isRegexKey(key)) patterns.push({ regex: new RegExp(key.slice(1, -1)), match })
    else exact.set(key, match)
  }
  const memo = new Map<string, StreamMatch | null>()

  function lookup (stream: string): StreamMatch | undefined {
    const declared = exact.get(stream)
    if (declared !== undefined) return declared
    const known = memo.get(stream)
    if (known !== undefined) return known ?? undefined
    const match = patterns.find((p) => p.regex.test(stream))?.match ?? null
    if (memo.size >= maxMemoEntries) memo.clear()
    memo.set(stream, match)
    return match ?? undefined
  }

  return {
    lookup,
    all: () => (added.size === 0 ? data : { ...data, ...Object.fromEntries(added) }),
    extend (entries) {
      for (const [name, settings] of Object.entries(entries)) {
        if (Object.hasOwn(data, name) || isRegexKey(name)) continue
        added.delete(name)
        if (added.size >= maxAdded) {
          const oldest = added.keys().next().value as string
          added.delete(oldest)
          exact.delete(oldest)
        }
        added.set(name, settings)
        exact.set(name, toMatch(name, settings))
      }
    },
    incomplete () {
      return [...exact.values(), ...patterns.map((p) => p.match)]
        .flatMap((m) => (m.problem === undefined ? [] : [{ key: m.key, problem: m.problem }]))
    },
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

function toMatch (key: string, settings: unknown): StreamMatch {
  const problem = settingsProblem(settings)
  return problem === undefined ? { key, settings: settings as StreamSettings } : { key, settings, problem }
}
