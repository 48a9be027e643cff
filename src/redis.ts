import { Redis } from 'ioredis'
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
 */
export function createRedisClient (options: RedisOptions): Redis {
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
