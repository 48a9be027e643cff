// The consumers of every rule, and the topics they read: what the service's composition root,
// health and shutdown use of them.
export type { ConsumersDeps } from './deps.js'
export { createTopicRefresh } from './refresh.js'
export type { TopicRefresh } from './refresh.js'
export { consumersOf, failed, notReady } from './rule.js'
export type { RuleConsumers } from './rule.js'
export { startRules } from './start.js'
export { createPartitionTopics } from './topics.js'
