// The public surface of src/kafka: everything else imports Kafka from here.
export { KafkaSecurity, kafkaClientOptions, kafkaConnectionOptions } from './client.js'
export type { KafkaClientOptions, KafkaSecurityOptions } from './client.js'
export { createEventProducer, producerRetryPolicy } from './producer/index.js'
export type { EventProducer, EventProducerOptions, ProduceRecord, ProducerRetryPolicy } from './producer/index.js'
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
export { advanceGroupOffsets, createTopics, fetchTopicOffsets, listTopics, probeKafka, tailTopic } from './admin.js'
export type { AdvanceResult } from './admin.js'
export type { AdminOptions, TailedMessage, TailOptions, TopicPartitionOffsets, TopicSpec } from './admin.js'
export { checkKafkaAccess, createClusterProbe, probeCluster } from './health.js'
export type { ClusterProbe, ClusterProbeOptions } from './health.js'
export { resolveKafkaSecurity } from './security.js'
export type { ResolveSecurityOptions } from './security.js'
export {
  KafkaAdminError,
  KafkaAuthenticationError,
  KafkaProtocolMismatchError,
  KafkaTlsError,
  isKafkaAccessError,
  KafkaProduceError,
  KafkaProducerClosedError,
  KafkaUnavailableError,
  UnknownTopicError
} from './errors.js'
export type { KafkaAccessError } from './errors.js'
export { createEventConsumer } from './consumer/index.js'
export type { ConsumedMessage, EventConsumer, EventConsumerCloseResult, EventConsumerOptions, MessageHandler, PartitionProgress } from './consumer/index.js'
export { consistentPartition } from './producer/partitioner.js'
export { createOffsetTracker } from './consumer/index.js'
export type { CommitPosition, OffsetTracker } from './consumer/index.js'
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
