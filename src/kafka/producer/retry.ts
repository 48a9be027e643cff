import { producerDefaults } from '../options.js'

/** How the client retries a failed produce (see producerRetryPolicy). */
export interface ProducerRetryPolicy {
  retries: number
  initialRetryTime: number
  maxRetryTime: number
  factor: number
  multiplier: number
}

/**
 * The client retries a failed produce on its own. Its backoff is bounded here so
 * that all attempts fit in about half of produceTimeoutMs: the client gives up on
 * its own soon after the caller was told 503, instead of retrying forever.
 */
export function producerRetryPolicy (produceTimeoutMs: number): ProducerRetryPolicy {
  const initialRetryTime = producerDefaults.retryInitialMs
  const maxRetryTime = Math.max(2 * initialRetryTime, Math.floor(produceTimeoutMs / 4))
  const factor = producerDefaults.retryFactor
  const multiplier = producerDefaults.retryMultiplier
  let retries = 0
  let total = 0
  let delay = initialRetryTime * (1 + factor)
  while (retries < producerDefaults.retryMaxRetries) {
    if (total + delay > produceTimeoutMs / 2) break
    total += delay
    retries++
    delay = Math.min(delay * (1 + factor) * multiplier, maxRetryTime)
  }
  return { retries, initialRetryTime, maxRetryTime, factor, multiplier }
}

/** The wait before retry `attempt` (1 for the first) under `policy`. */
export function retryDelayOf (policy: ProducerRetryPolicy, attempt: number): number {
  let delay = policy.initialRetryTime * (1 + policy.factor)
  for (let i = 1; i < attempt; i++) delay = Math.min(delay * (1 + policy.factor) * policy.multiplier, policy.maxRetryTime)
  return Math.round(delay)
}
