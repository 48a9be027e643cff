import { connectRedis } from '../redis.js'
import type { ServiceContext, ShutdownStep } from '../service/index.js'
import type { StreamsConfig } from './config.js'
import { createMemorySlots, createRedisSlots } from './ip-limit.js'
import type { ConnectionSlots } from './ip-limit.js'

/** Where the per-IP connection counts live: in Redis when configured (every replica sees them), else in this process. */
export async function createSlots (config: Readonly<StreamsConfig>, context: ServiceContext, storeErrors: { inc: () => void }, closers: ShutdownStep[]): Promise<ConnectionSlots> {
  if (config.redis === undefined) return createMemorySlots()
  // Until Redis answers, the limit counts this process only.
  const redis = await connectRedis({ url: config.redis.url, connectTimeoutMs: config.redis.connect_timeout_ms, logger: context.logger })
  const slots = createRedisSlots({
    redis,
    keyPrefix: config.redis.key_prefix,
    ttlMs: config.redis.connection_ttl_ms,
    onStoreError: () => { storeErrors.inc() }
  })
  closers.push({ name: 'redis', close: async () => { await slots.close(); redis.disconnect() } })
  return slots
}
