// The face of src/kafka: everything else imports Kafka from here, and only from here.

// Every default, and the config-schema fragments built from them.
export {
  adminDefaults,
  clientDefaults,
  compressionCodecs,
  consumerConfigSchema,
  consumerDefaults,
  intakeProducerConfigSchema,
  kafkaBrokersSchema,
  kafkaCompressionSchema,
  kafkaHealthCheckSchema,
  kafkaIdempotentSchema,
  kafkaSaslSchema,
  kafkaSecuritySchema,
  kafkaSslSchema,
  partitionerNames,
  producerConfigSchema,
  producerDefaults,
  readerConfigSchema,
  readerDefaults,
  saslMechanisms
} from './options.js'
export type { CompressionCodec, KafkaProducerConfig, KafkaSaslConfig, KafkaSecurityConfig, KafkaSslConfig, PartitionerName } from './options.js'

// What every client is given, and how a cluster's security settings become it.
export { KafkaSecurity, kafkaClientOptions, kafkaConnectionOptions } from './client.js'
export type { KafkaClientOptions, KafkaSecurityOptions } from './client.js'
export { resolveKafkaSecurity } from './security.js'
export type { ResolveSecurityOptions } from './security.js'

// The clients.
export { consistentPartition, createEventProducer, producerRetryPolicy } from './producer/index.js'
export type { EventProducer, EventProducerOptions, ProduceRecord, ProducerRetryPolicy } from './producer/index.js'
export { createEventConsumer, createOffsetTracker } from './consumer/index.js'
export type {
  CommitPosition,
  ConsumedMessage,
  EventConsumer,
  EventConsumerCloseResult,
  EventConsumerOptions,
  MessageHandler,
  OffsetTracker,
  PartitionProgress
} from './consumer/index.js'
export { createKafkaReader } from './reader.js'
export type {
  FetchedRecords,
  KafkaReader,
  KafkaReaderOptions,
  PartitionFetcher,
  PartitionPosition,
  StreamRecord,
  TopicPartition,
  TopicPartitionOffset
} from './reader.js'
export { advanceGroupOffsets, createTopics, fetchTopicOffsets, listTopics, probeKafka, tailTopic } from './admin.js'
export type { AdminOptions, AdvanceResult, TailedMessage, TailOptions, TopicPartitionOffsets, TopicSpec } from './admin.js'
export { checkKafkaAccess, createClusterProbe, probeCluster } from './health.js'
export type { ClusterProbe, ClusterProbeOptions } from './health.js'

// The errors.
export {
  KafkaAdminError,
  KafkaAuthenticationError,
  KafkaProduceError,
  KafkaProducerClosedError,
  KafkaProtocolMismatchError,
  KafkaTlsError,
  KafkaUnavailableError,
  UnknownTopicError,
  isKafkaAccessError
} from './errors.js'
export type { KafkaAccessError } from './errors.js'
