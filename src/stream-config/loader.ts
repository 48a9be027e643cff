import type { Logger } from '../logger.js'
import { StreamSettingsUnavailableError } from './errors.js'
import type { StreamIndex } from './stream-index.js'
import { createStreamIndex } from './stream-index.js'
import { streamsUri } from './fetch.js'
import type { StreamConfigData, StreamConfigSourceOptions } from './load.js'
import { isRegexKey, readStreamConfig } from './load.js'
import { createOnDemandStreams } from './on-demand.js'
import type { StreamConfigProblem } from './schema.js'
import { isLegacyStream } from './topology.js'

export interface OnDemandSettings {
  /** How long a stream the source did not know is not asked for again. */
  unknownTtlMs: number
  /** Streams remembered as unknown, and streams learnt on demand, at most each. */
  maxUnknown: number
}

export interface StreamConfigLoaderOptions extends StreamConfigSourceOptions {
  logger: Logger
  /** Fetch streams the loaded config does not have (an http(s) source only). */
  onDemand?: OnDemandSettings | undefined
  now?: () => number
}

export interface StreamConfigLoader {
  /** Reads the stream config and indexes it; throws when it cannot be read or does not validate. */
  load(): Promise<StreamIndex>
  /**
   * With `onDemand`: asks the source for the named streams the last load did not have
   * (`streams=a|b` on the URL) and returns the settings of those it knows; undefined otherwise.
   */
  fetchUnknown: ((names: readonly string[]) => Promise<StreamConfigData>) | undefined
}

/** EventGate's wording, which operators already search logs for. */
const problemText: Record<StreamConfigProblem, string> = {
  no_settings: 'is configured but does not have any settings',
  no_schema_title: 'does not have a schema_title setting'
}

export function describeStreamConfigProblem (stream: string, problem: StreamConfigProblem): string {
  return `${stream} ${problemText[problem]}`
}

/**
 * The settings of the names the answer declares. EventStreamConfig answers a name that a regex
 * entry matches under the name, with the regex in its `stream` setting; a source answering
 * everything is matched here, and the regex is recorded the same way, so a reader can tell.
 */
function matchesOf (index: StreamIndex, names: readonly string[]): StreamConfigData {
  const found: StreamConfigData = {}
  for (const name of names) {
    const match = index.lookup(name)
    if (match === undefined) continue
    found[name] = isRegexKey(match.key) && match.problem === undefined ? { ...match.settings, stream: match.key } : match.settings
  }
  return found
}

/**
 * Streams whose config says "no prefix" (`topic_prefixes: null`) though the naming rule, the one
 * the mirror and change propagation apply without a stream config, prefixes them.
 */
function unprefixedByConfigOnly (index: StreamIndex): string[] {
  return Object.entries(index.all())
    .filter(([key, settings]) => !isRegexKey(key) && !isLegacyStream(key) && settings !== null && typeof settings === 'object' &&
      (settings as Record<string, unknown>).topic_prefixes === null)
    .map(([key]) => key)
}

/** Whether settings were declared by a regex entry (their `stream` is a `/regex/`). */
export function declaredByRegex (settings: unknown): boolean {
  return settings !== null && typeof settings === 'object' && typeof (settings as Record<string, unknown>).stream === 'string' &&
    isRegexKey((settings as Record<string, unknown>).stream as string)
}

/** Names in one on-demand fetch at most (EventStreamConfig takes up to 250 per request). */
const maxNamesPerFetch = 50

/**
 * Loads the stream config again and again (start, TTL, SIGHUP). An entry that accepts no
 * events is logged at warn when it first appears, not on every reload, and again only if it
 * was fixed and broke once more.
 */
export function createStreamConfigLoader (options: StreamConfigLoaderOptions): StreamConfigLoader {
  const { logger, onDemand, now, ...source } = options
  let reported = new Set<string>()
  const isHttp = /^https?:\/\//i.test(source.uri)
  const onDemandStreams = onDemand === undefined || !isHttp
    ? undefined
    : createOnDemandStreams({
      // One try: an event waits for it. The client's retry, or the next event, asks again.
      fetch: async (names) => matchesOf(createStreamIndex(await readStreamConfig({ ...source, uri: streamsUri(source.uri, names), retries: 0 })), names),
      unknownTtlMs: onDemand.unknownTtlMs,
      maxUnknown: onDemand.maxUnknown,
      maxNamesPerFetch,
      now: now ?? Date.now
    })
  return {
    async load () {
      const index = createStreamIndex(await readStreamConfig({ ...source, logger }), { maxAdded: onDemand?.maxUnknown })
      const current = new Set<string>()
      for (const { key, problem } of index.incomplete()) {
        const id = `${problem} ${key}`
        current.add(id)
        if (!reported.has(id)) {
          logger.warn({ stream: key, problem }, `stream config: ${describeStreamConfigProblem(key, problem)}; its events are refused (SLUICE_ERR_STREAM_CONFIG_INCOMPLETE), every other stream is served`)
        }
      }
      for (const key of unprefixedByConfigOnly(index)) {
        const id = `null_prefixes ${key}`
        current.add(id)
        if (!reported.has(id)) {
          logger.warn({ stream: key }, `stream config: ${key} has topic_prefixes: null, but only eventlogging_* streams have unprefixed topics: the gateway writes it under its datacenter prefix (EventGate's rule), while readers of the config look for the bare name`)
        }
      }
      reported = current
      return index
    },
    fetchUnknown: onDemandStreams === undefined
      ? undefined
      : async (names) => {
        let found: StreamConfigData
        try {
          found = await onDemandStreams.fetch(names)
        } catch (err) {
          logger.warn({ err, streams: names }, 'stream config: fetching streams on demand failed; their events fail until it works')
          throw new StreamSettingsUnavailableError(names, err)
        }
        if (Object.keys(found).length > 0) logger.info({ streams: Object.keys(found) }, 'stream config: streams fetched on demand')
        return found
      }
  }
}
