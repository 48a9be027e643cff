import type { Logger } from '../logger.js'

export interface StreamConfigReloadOptions<T> {
  /**
   * Reads the stream config and makes the service's view of it (an index, a catalog); throws
   * when the result cannot be served, and the last good view stays.
   */
  load: () => Promise<T>
  /** Puts a loaded view in place. */
  apply: (view: T) => void
  /** `stream_config_ttl`: seconds between re-reads; 0 reads at start and on reload() only. */
  ttlSeconds: number
  logger: Logger
  /** Each reload's outcome, for a metric. */
  onReload?: (ok: boolean) => void
}

export interface StreamConfigReload {
  /** The first read: a failure stops startup. Then re-reads every ttlSeconds. */
  start(): Promise<void>
  /** Re-reads now (SIGHUP, POST /admin/reload); false when it failed and the last good view stayed. */
  reload(): Promise<boolean>
  /** No more timed re-reads. */
  stop(): void
}

/**
 * How a service keeps its stream config current: failing fast at startup, then keeping the last
 * good config whenever a re-read fails (logged, and counted by the caller).
 */
export function createStreamConfigReload<T> (options: StreamConfigReloadOptions<T>): StreamConfigReload {
  let timer: NodeJS.Timeout | undefined
  const reload = async (): Promise<boolean> => {
    try {
      options.apply(await options.load())
      options.onReload?.(true)
      return true
    } catch (err) {
      options.onReload?.(false)
      options.logger.error({ err }, 'stream config reload failed; keeping the last good config')
      return false
    }
  }
  return {
    async start () {
      options.apply(await options.load())
      if (options.ttlSeconds > 0 && timer === undefined) {
        timer = setInterval(() => { void reload() }, options.ttlSeconds * 1000)
        timer.unref()
      }
    },
    reload,
    stop () {
      clearInterval(timer)
      timer = undefined
    }
  }
}
