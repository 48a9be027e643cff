import type { StreamConfigData } from './load.js'

export interface OnDemandOptions {
  /** Asks the source for the named streams; answers those it knows, by name. */
  fetch: (names: readonly string[]) => Promise<StreamConfigData>
  /** How long a name the source did not know is not asked for again. */
  unknownTtlMs: number
  /** Names remembered as unknown at most; the earliest remembered go first. */
  maxUnknown: number
  /** Names asked for in one fetch at most: a request naming more leaves the rest unknown. */
  maxNamesPerFetch: number
  now: () => number
}

export interface OnDemandStreams {
  /**
   * The settings of those of `names` the source knows. Names it did not know within the last
   * `unknownTtlMs` are not asked for again; a name already being fetched shares that fetch.
   * Rejects with the source's error when the fetch fails (nothing is remembered then).
   */
  fetch(names: readonly string[]): Promise<StreamConfigData>
}

/**
 * Fetching streams the loaded config does not have, so that a stream declared after the start
 * works without a restart or a reload (EventGate's dynamic stream config). Stream names come
 * from clients, so the source is protected: one fetch at a time, a bounded number of names per
 * fetch, and a bounded memory of names it did not know (the negative cache).
 */
export function createOnDemandStreams (options: OnDemandOptions): OnDemandStreams {
  const unknownUntil = new Map<string, number>()
  const inFlight = new Map<string, Promise<StreamConfigData>>()
  // Fetches run one after the other: a burst of new names cannot become a burst of requests.
  let queue: Promise<void> = Promise.resolve()

  function rememberUnknown (name: string, until: number): void {
    unknownUntil.delete(name)
    if (unknownUntil.size >= options.maxUnknown) unknownUntil.delete(unknownUntil.keys().next().value as string)
    unknownUntil.set(name, until)
  }

  async function fetchNames (names: readonly string[]): Promise<StreamConfigData> {
    const found = await options.fetch(names)
    const until = options.now() + options.unknownTtlMs
    for (const name of names) {
      if (Object.hasOwn(found, name)) unknownUntil.delete(name)
      else rememberUnknown(name, until)
    }
    return found
  }

  return {
    async fetch (names) {
      const now = options.now()
      const wanted: string[] = []
      const pending: Array<Promise<StreamConfigData>> = []
      for (const name of new Set(names)) {
        const until = unknownUntil.get(name)
        if (until !== undefined && until > now) continue
        const shared = inFlight.get(name)
        if (shared !== undefined) pending.push(shared)
        else if (wanted.length < options.maxNamesPerFetch) wanted.push(name)
      }
      if (wanted.length > 0) {
        const run = queue.then(async () => fetchNames(wanted))
        queue = run.then(() => undefined, () => undefined)
        for (const name of wanted) inFlight.set(name, run)
        const forget = (): void => { for (const name of wanted) inFlight.delete(name) }
        void run.then(forget, forget)
        pending.push(run)
      }
      const found: StreamConfigData = {}
      for (const answer of await Promise.all(pending)) {
        for (const name of names) if (Object.hasOwn(answer, name)) found[name] = answer[name]
      }
      return found
    }
  }
}
