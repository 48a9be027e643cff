import type { Redis } from 'ioredis'
import type { Logger } from './logger.js'

export type { Redis }

export interface RedisOptions {
  url: string
  connectTimeoutMs: number
  logger: Logger
}

/**
 * The Redis connection shared by the dedupe and limiter stores. Commands fail at once
 * while disconnected (no offline queue, one attempt), because both stores fail open:
 * an event is never held back waiting for Redis.
 *
 * The client library is loaded here, on first use: a service without Redis does not carry it
 * (about 20 MB of resident memory).
 */
export async function createRedisClient (options: RedisOptions): Promise<Redis> {
  const { Redis } = await import('ioredis')
  const log = options.logger.child({ module: 'redis' })
  const client = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000)
  })
  let lastError = ''
  client.on('error', (err: Error) => {
    // ioredis reports every failed reconnect; log each distinct problem once.
    if (err.message === lastError) return
    lastError = err.message
    log.warn({ err }, 'redis connection problem; until it is back, dedupe and limiters let events through and per-IP stream limits count this process only')
  })
  client.on('ready', () => {
    lastError = ''
    log.info('redis connected')
  })
  return client
}

/**
 * A service's Redis client, connected before the service serves when Redis answers (bounded by
 * `connectTimeoutMs`); when it does not, the stores that use it fail open until it does.
 */
export async function connectRedis (options: RedisOptions): Promise<Redis> {
  const redis = await createRedisClient(options)
  await redis.connect().catch(() => { /* logged by the client */ })
  return redis
}
