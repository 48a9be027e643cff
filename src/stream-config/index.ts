/** The stream config (EventStreamConfig's settings, loaded and fetched) and the topology naming topics across datacenters. */
export type { StreamConfigProblem, StreamSettings } from './schema.js'
export type { StreamConfigData, StreamConfigSourceOptions } from './load.js'
export { readStreamConfig, validateStreamConfig, checkStreamRegex, isRegexKey } from './load.js'
export { StreamConfigInvalidError, StreamConfigUnavailableError, StreamSettingsUnavailableError } from './errors.js'
export type { TopicNaming } from './topology.js'
export type { StreamConfigSourceConfig } from './source.js'
export { streamConfigLoaderOptions, streamConfigSourceProperties } from './source.js'
export type { StreamConfigLoader } from './loader.js'
export { createStreamConfigLoader, declaredByRegex, describeStreamConfigProblem } from './loader.js'
export {
  datacenterPrefix, delayedStreamOf, delayStreamOf, delayTopicOf, errorStreamOf, errorTopicOf, eventStreamConfigTopics, isLegacyStream, legacyStreamOf, legacyStreamPrefix, linksStreamOf,
  legacyTopicsHomeSchema, legacyTopicsHomeVariable,
  mirrorTopicsPattern, namingOf, prefixDatacenter, retriedStreamOf, retryGroupOf, retryStreamOf, retryTopicOf, ruleGroupOf, streamOf,
  streamTopics, topicOf
} from './topology.js'
export type { StreamIndex, StreamMatch } from './stream-index.js'
export { createStreamIndex } from './stream-index.js'
