import type { Logger } from '../logger.js'
import type { StreamIndex } from './index.js'
import { createStreamIndex } from './index.js'
import type { StreamConfigSourceOptions } from './load.js'
import { readStreamConfig } from './load.js'
import type { StreamConfigProblem } from './schema.js'

export interface StreamConfigLoaderOptions extends StreamConfigSourceOptions {
  logger: Logger
}

export interface StreamConfigLoader {
  /** Reads the stream config and indexes it; throws when it cannot be read or does not validate. */
  load(): Promise<StreamIndex>
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
 * Loads the stream config again and again (start, TTL, SIGHUP). An entry that accepts no
 * events is logged at warn when it first appears, not on every reload, and again only if it
 * was fixed and broke once more.
 */
export function createStreamConfigLoader (options: StreamConfigLoaderOptions): StreamConfigLoader {
  const { logger, ...source } = options
  let reported = new Set<string>()
  return {
    async load () {
      const index = createStreamIndex(await readStreamConfig(source))
      const current = new Set<string>()
      for (const { key, problem } of index.incomplete()) {
        const id = `${problem} ${key}`
        current.add(id)
        if (!reported.has(id)) {
          logger.warn({ stream: key, problem }, `stream config: ${describeStreamConfigProblem(key, problem)}; its events are refused (SLUICE_ERR_STREAM_CONFIG_INCOMPLETE), every other stream is served`)
        }
      }
      reported = current
      return index
    }
  }
}
