// The local development broker: a single-node KRaft Apache Kafka started from Maven Central's
// jars, for `sluice kafka`, `sluice up` and the test runner. Not used by the services at run time.
export {
  DEFAULT_BROKER_PORT,
  DEFAULT_JVM_OPTIONS,
  DEFAULT_KAFKA_VERSION,
  TESTED_KAFKA_VERSIONS,
  defaultBrokerDataDir,
  defaultJarCacheDir,
  fetchKafkaJars,
  fetchMavenJars,
  findFreePort,
  kafkaRelease,
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
  KafkaJarFetchError,
  KafkaVersionUnsupportedError,
  MavenMissingError,
  MirrorExitedError,
  OpensslMissingError,
  SecurityMaterialError
} from './errors.js'
export { openssl } from './security.js'
export type { BrokerSecurityOptions, LocalBrokerSecurity, LocalKafkaUser } from './security.js'
export { DEFAULT_MIRROR_JVM_OPTIONS, MIRROR_VERSION, clusterAlias, fetchMirrorJars, mirrorProperties, mirrorWorkDirName, startMirror } from './mirror.js'
export type { LocalMirror, MirrorCluster, MirrorOptions } from './mirror.js'
