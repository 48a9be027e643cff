import type { EventProducer } from '../kafka/index.js'
import type { ReadinessCheck } from '../service/index.js'
import type { GatewayStreamConfig } from './stream-config.js'

/** GET /readyz: the gateway is ready once Kafka answers and a stream config is loaded. */
export function readinessChecks (producer: EventProducer, streams: GatewayStreamConfig): ReadinessCheck[] {
  return [
    { name: 'kafka', ready: () => producer.isReady() },
    { name: 'stream_config', ready: () => streams.loaded() }
  ]
}
