// The public surface of src/kafka: everything else imports Kafka from here.
export { createKafkaClient } from './client.js'
export type { KafkaClientOptions } from './client.js'
export { createTopics, fetchTopicOffsets, probeKafka } from './admin.js'
export type { AdminOptions, TopicPartitionOffsets, TopicSpec } from './admin.js'
export {
  DEFAULT_BROKER_PORT,
  DEFAULT_JVM_OPTIONS,
  KAFKA_VERSION,
  defaultBrokerDataDir,
  defaultJarCacheDir,
  fetchKafkaJars,
  findFreePort,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker
} from './broker.js'
export type { KafkaJars, LocalBroker, LocalBrokerStatus, StartLocalBrokerOptions } from './broker.js'
export {
  BrokerExitedError,
  BrokerPortInUseError,
  BrokerStartTimeoutError,
  JavaMissingError,
  KafkaAdminError,
  KafkaJarFetchError,
  KafkaProduceError,
  KafkaProducerClosedError,
  KafkaUnavailableError,
  MavenMissingError
} from './errors.js'
