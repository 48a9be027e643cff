import { loadConfig } from '../config/load.js'
import { kafkaBrokersSchema, kafkaSecuritySchema, resolveKafkaSecurity } from '../kafka/index.js'
import type { KafkaSecurity, KafkaSecurityConfig } from '../kafka/index.js'

/**
 * The `kafka` section of a config file as `sluice kafka tail` and `mirror` read it: the same
 * `brokers`, `ssl` and `sasl` keys as every service's (so a service's own config file will do);
 * the file's other keys and the section's other keys are not looked at.
 */
const clusterFileSchema = {
  type: 'object',
  required: ['kafka'],
  properties: {
    kafka: {
      type: 'object',
      properties: {
        brokers: kafkaBrokersSchema,
        ...kafkaSecuritySchema
      }
    }
  }
} as const

export interface ClusterConfig extends KafkaSecurityConfig {
  brokers: string[]
  /** The directory relative paths are resolved against. */
  cwd: string
}

/** Reads and validates a file's `kafka` section (ConfigInvalidError naming the key otherwise). */
export async function loadClusterConfig (file: string, cwd: string): Promise<ClusterConfig> {
  const config = await loadConfig({ file, schema: clusterFileSchema })
  const { brokers, ssl, sasl } = config.kafka
  return { brokers: [...brokers], cwd, ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }) }
}

/** The client's security settings of a cluster config (files read and checked now). */
export function clusterSecurity (config: ClusterConfig | undefined, env: NodeJS.ProcessEnv, source: string): KafkaSecurity | undefined {
  return config === undefined ? undefined : resolveKafkaSecurity(config, { cwd: config.cwd, env, source })
}
