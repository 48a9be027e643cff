import type { FromSchema } from '../config/from-schema.js'

// Every Kafka default of Sluice, and the config-schema fragments the services' `kafka` sections
// are built from, so that a client made in code without an option behaves like a service's made
// from its config, and the config, the code and the documentation cannot disagree.

/** The codecs a producer may compress record batches with; consumers read all of them. */
export const compressionCodecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CompressionCodec = typeof compressionCodecs[number]

/**
 * How keyed records are spread over partitions, named as librdkafka names its partitioners
 * (producer/partitioner.ts): `consistent_random` (CRC-32 of the key, librdkafka's and so
 * EventGate's and change-propagation's) or `murmur2_random` (murmur2, the Java client's).
 */
export const partitionerNames = ['consistent_random', 'murmur2_random'] as const
export type PartitionerName = typeof partitionerNames[number]

export const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const

/** What every client starts from (producer, consumers, admin calls), unless its own defaults below say otherwise. */
export const clientDefaults = {
  /** One TCP connect. */
  connectTimeoutMs: 3000,
  /** One broker request. */
  requestTimeoutMs: 10000,
  /** The client's own retries of a failed request, each after `retryDelayMs`. */
  retries: 3,
  retryDelayMs: 250
} as const

/**
 * The producer's. They are the gateway's documented ones: its producer answers EventGate's
 * clients, whose requests time out after 10 s (MediaWiki), so a produce must fail well inside
 * that (5 s). There is no linger by default: records sent in one turn of the event loop go as one
 * batch, and under load records gather behind the batches in flight anyway (measured: 2 ms of
 * linger cost a fifth of the gateway's throughput). The health check keys let readiness follow
 * Kafka without traffic: how often the cluster is asked for metadata while idle, and how long one
 * answer may take. `unavailableWaitMs` bounds how long a record already sent waits once Kafka is
 * known to be down (the gateway's 503 must come fast). The partitioner is librdkafka's, so a key
 * lands where EventGate and change-propagation (both on node-rdkafka) put it: a stream can move
 * to Sluice without reordering a key.
 */
export const producerDefaults = {
  lingerMs: 0,
  maxBatchRecords: 1000,
  maxBatchBytes: 1048576,
  /** Batches sent and not yet acknowledged; more wait in the buffer (1 when idempotent). */
  maxInFlightBatches: 4,
  produceTimeoutMs: 5000,
  partitioner: 'consistent_random',
  compression: 'none',
  idempotent: false,
  healthCheckIntervalMs: 2000,
  healthCheckTimeoutMs: 2000,
  unavailableWaitMs: 500,
  /** The largest record a service produces (the broker's own default, `message.max.bytes`). */
  maxMessageBytes: 1000000,
  /** One TCP connect: a quarter of produceTimeoutMs, within these bounds. */
  connectTimeoutMinMs: 100,
  connectTimeoutMaxMs: 1000,
  /** close() waits for the batches in flight up to produceTimeoutMs and this much more. */
  flushMarginMs: 1000,
  /** The client's backoff between produce retries (see producer/retry.ts): it fits in half of produceTimeoutMs. */
  retryInitialMs: 100,
  retryFactor: 0.2,
  retryMultiplier: 2,
  retryMaxRetries: 10
} as const

/**
 * A consumer-group member's. Session and heartbeat were measured, not inherited: a member
 * killed without leaving is replaced after the session timeout, 28 s with Kafka's 30 s default
 * and 10 s with 10 s; 6 s (the broker's minimum) leaves no room for a stalled event loop or a
 * garbage-collection pause.
 */
export const consumerDefaults = {
  sessionTimeoutMs: 10000,
  heartbeatIntervalMs: 1000,
  progressIntervalMs: 10000,
  commitIntervalMs: 500,
  /**
   * Bytes one fetch asks for (per partition and in all; a larger first record batch still comes
   * whole). Each consumer group of a service holds up to this much fetched and decoded: with twenty
   * rules, forty groups.
   */
  fetchMaxBytes: 262144,
  /** How long the broker may hold a fetch open when there is nothing to read. */
  maxWaitTimeMs: 1000,
  /** Messages handled at once across the member's partitions: 1 keeps their order. */
  concurrency: 1,
  /** How long close() waits for in-flight messages before it aborts them. */
  drainTimeoutMs: 10000,
  /** How long close() still waits for handlers that were asked to stop. */
  abortGraceMs: 1000,
  /** A JoinGroup may wait for the other members for a while. */
  requestTimeoutMs: 30000,
  rebalanceTimeoutMs: 60000,
  /** Fetched messages a stream holds while every slot is taken (at least twice the concurrency). */
  minHighWaterMark: 64,
  /** The first wait before a crashed client is replaced; it doubles up to restartMaxMs. */
  restartInitialMs: 100,
  restartMaxMs: 2000
} as const

/** The stream service's group-less reader's (reader.ts). */
export const readerDefaults = {
  fetchMaxBytes: 1048576,
  /** Broker long-poll time of one fetch, and the wait before a failed fetch is tried again. */
  fetchMaxWaitMs: 500,
  healthCheckIntervalMs: producerDefaults.healthCheckIntervalMs,
  healthCheckTimeoutMs: producerDefaults.healthCheckTimeoutMs
} as const

/** One-shot admin calls' (admin.ts) and `sluice kafka tail`'s. */
export const adminDefaults = {
  clientId: 'sluice-admin',
  /** Upper bound of a whole admin call, connection included. */
  timeoutMs: 30000,
  /** Backoff of the calls that retry: 100 ms doubling up to 1 s. */
  retryInitialMs: 100,
  retryMaxMs: 1000,
  /** Waiting for new topics' leaders: 50 ms doubling up to 500 ms. */
  leaderPollInitialMs: 50,
  leaderPollMaxMs: 500,
  tailClientId: 'sluice-tail',
  tailRetries: 2,
  tailMaxWaitTimeMs: 250
} as const

// The config-schema fragments: each default above that a service's config exposes, as a key.

/** `kafka.brokers` in every service's config: bootstrap `host:port` addresses. */
export const kafkaBrokersSchema = { type: 'array', items: { type: 'string', pattern: '^[^\\s,]+:\\d{1,5}$' }, default: [] } as const

/**
 * The config keys of a service's Kafka producer (inside its `kafka` section), with the defaults
 * of `producerDefaults`.
 */
export const producerConfigSchema = {
  linger_ms: { type: 'integer', minimum: 0, default: producerDefaults.lingerMs },
  max_batch_records: { type: 'integer', minimum: 1, default: producerDefaults.maxBatchRecords },
  produce_timeout_ms: { type: 'integer', minimum: 1, default: producerDefaults.produceTimeoutMs },
  partitioner: { enum: partitionerNames, default: producerDefaults.partitioner },
  health_check_interval_ms: { type: 'integer', minimum: 100, default: producerDefaults.healthCheckIntervalMs },
  health_check_timeout_ms: { type: 'integer', minimum: 100, maximum: 60000, default: producerDefaults.healthCheckTimeoutMs },
  unavailable_wait_ms: { type: 'integer', minimum: 0, maximum: 60000, default: producerDefaults.unavailableWaitMs }
} as const

/** A service's validated `kafka` keys that its producer is made from. */
export type KafkaProducerConfig = FromSchema<{ type: 'object', properties: typeof producerConfigSchema & { brokers: typeof kafkaBrokersSchema } }>

/**
 * `kafka.health_check_*` in every service's config: how often the cluster is asked for metadata
 * while idle, and how long one answer may take, so readiness follows Kafka without traffic.
 */
export const kafkaHealthCheckSchema = {
  health_check_interval_ms: producerConfigSchema.health_check_interval_ms,
  health_check_timeout_ms: producerConfigSchema.health_check_timeout_ms
} as const

/** The producer keys of a service that takes events from clients (the gateway): batch bytes, record size, idempotence. */
export const intakeProducerConfigSchema = {
  max_batch_bytes: { type: 'integer', minimum: 1024, default: producerDefaults.maxBatchBytes },
  max_message_bytes: { type: 'integer', minimum: 1024, default: producerDefaults.maxMessageBytes }
} as const

/** `kafka.idempotent`: Kafka's idempotent produce (one batch in flight at a time). */
export const kafkaIdempotentSchema = { type: 'boolean', default: producerDefaults.idempotent } as const

/** The config keys of a service's consumer-group members, with the defaults of `consumerDefaults`. */
export const consumerConfigSchema = {
  session_timeout_ms: { type: 'integer', minimum: 1000, default: consumerDefaults.sessionTimeoutMs },
  heartbeat_interval_ms: { type: 'integer', minimum: 100, default: consumerDefaults.heartbeatIntervalMs },
  progress_interval_ms: { type: 'integer', minimum: 0, default: consumerDefaults.progressIntervalMs },
  commit_interval_ms: { type: 'integer', minimum: 0, default: consumerDefaults.commitIntervalMs },
  fetch_max_bytes: { type: 'integer', minimum: 1024, maximum: 104857600, default: consumerDefaults.fetchMaxBytes }
} as const

/** The config keys of the stream service's reader, with the defaults of `readerDefaults`. */
export const readerConfigSchema = {
  fetch_max_wait_ms: { type: 'integer', minimum: 10, maximum: 30000, default: readerDefaults.fetchMaxWaitMs },
  fetch_max_bytes: { type: 'integer', minimum: 1024, default: readerDefaults.fetchMaxBytes }
} as const

/** `kafka.compression` of a service that produces. */
export const kafkaCompressionSchema = { enum: compressionCodecs, default: producerDefaults.compression } as const

// How Sluice reaches a secured Kafka cluster: the `kafka.ssl` and `kafka.sasl` keys every service
// and tool shares (security.ts turns them into the client's settings). The config holds file
// paths and environment variable names, never a secret itself: secrets are read when the client
// authenticates, so none sits in a config object that could be logged.

const envName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const
const path = { type: 'string', minLength: 1 } as const

/** `kafka.ssl`: TLS to the brokers (present means on). */
export const kafkaSslSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** PEM bundle of the CAs that sign the brokers' certificates; the system's CAs when absent. */
    ca_file: path,
    /** Mutual TLS: the client certificate (PEM) and its key (PEM, PKCS#8 or PKCS#1, optionally encrypted). */
    cert_file: path,
    key_file: path,
    key_passphrase_file: path,
    key_passphrase_env: envName,
    /** The name the brokers' certificates are checked against (and sent as SNI); the broker's host by default. */
    server_name: { type: 'string', minLength: 1 },
    /** Certificate verification; turning it off is logged as a warning. */
    verify: { type: 'boolean', default: true }
  }
} as const

/** `kafka.sasl`: who the client authenticates as, and how. */
export const kafkaSaslSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mechanism'],
  properties: {
    mechanism: { enum: saslMechanisms },
    username: { type: 'string', minLength: 1 },
    password_file: path,
    password_env: envName,
    /** OAUTHBEARER: a file holding the token, read again whenever it changes. */
    token_file: path
  }
} as const

/** The keys every service's and tool's `kafka` section takes to reach a secured cluster. */
export const kafkaSecuritySchema = {
  ssl: kafkaSslSchema,
  sasl: kafkaSaslSchema
} as const

export type KafkaSslConfig = Omit<FromSchema<typeof kafkaSslSchema>, 'verify'> & { verify?: boolean }
export type KafkaSaslConfig = FromSchema<typeof kafkaSaslSchema>
export interface KafkaSecurityConfig { ssl?: KafkaSslConfig, sasl?: KafkaSaslConfig }
