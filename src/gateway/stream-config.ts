import type { GatewayMetrics } from '../metrics/gateway.js'
import { startCanaryCounts } from '../metrics/gateway.js'
import { createStreamConfigReload } from '../service/index.js'
import type { ServiceContext } from '../service/index.js'
import type { StreamIndex } from '../stream-config/index.js'
import { createStreamConfigLoader, streamConfigLoaderOptions } from '../stream-config/index.js'
import type { GatewayConfig } from './config.js'

/** The stream config as the gateway holds it: the last good index, re-read every `stream_config_ttl`. */
export interface GatewayStreamConfig {
  /** The last good index; undefined without `stream_config_uri`. */
  index(): StreamIndex | undefined
  /** Whether a stream config was loaded (always, without `stream_config_uri`): the stream_config readiness check. */
  loaded(): boolean
  /** Asks the source for streams declared after the last load and adds them to the index; undefined when the source cannot. */
  fetchUnknown: ((names: readonly string[]) => Promise<void>) | undefined
  /** Re-reads the stream config; the last good one stays on failure. */
  reload(): Promise<boolean>
  /** Stops the re-reads. */
  stop(): void
}

/**
 * Loads the stream config and starts its re-reads. Startup fails fast when it cannot be loaded;
 * later reloads keep the last good config.
 */
export async function startStreamConfig (config: Readonly<GatewayConfig>, context: ServiceContext, metrics: GatewayMetrics): Promise<GatewayStreamConfig> {
  const { logger, dispatcher } = context
  let streamIndex: StreamIndex | undefined
  let streamsLoaded = config.stream_config_uri === undefined
  const streamConfig = config.stream_config_uri === undefined
    ? undefined
    : createStreamConfigLoader(streamConfigLoaderOptions(config.stream_config_uri, config, { cwd: context.cwd, dispatcher, timeoutMs: config.schema_fetch_timeout_ms, logger }))
  const streams = createStreamConfigReload({
    load: async () => streamConfig?.load(),
    apply: (index) => {
      if (index === undefined) return
      streamIndex = index
      startCanaryCounts(metrics, index.all())
      streamsLoaded = true
    },
    ttlSeconds: config.stream_config_ttl,
    logger,
    onReload: (ok) => { metrics.streamConfigReloads.inc({ result: ok ? 'ok' : 'failed' }) }
  })
  await streams.start()
  return {
    index: () => streamIndex,
    loaded: () => streamsLoaded,
    fetchUnknown: streamConfig?.fetchUnknown === undefined
      ? undefined
      : async (names) => {
        const found = await streamConfig.fetchUnknown!(names)
        streamIndex?.extend(found)
      },
    reload: async () => streams.reload(),
    stop: () => { streams.stop() }
  }
}
