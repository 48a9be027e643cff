import type { KafkaSecurity } from '../../kafka/index.js'
import type { Logger } from '../../logger.js'
import type { ChangepropMetrics } from '../../metrics/changeprop.js'
import type { ChangepropConfig } from '../config.js'

/** What the rules' consumers, and the Kafka admin calls made for them, are built from (one set per service). */
export interface ConsumersDeps {
  config: Readonly<ChangepropConfig>
  /** The service's logger: Kafka clients and admin calls log under it. */
  logger: Logger
  /** Change propagation's own (`module: changeprop`). */
  log: Logger
  metrics: ChangepropMetrics
  /** The cluster's TLS and SASL; undefined: plaintext. */
  security: KafkaSecurity | undefined
}
