import type { Logger } from '../logger.js'
import type { ChangepropMetrics } from '../metrics/changeprop.js'
import type { TargetHealth } from './outcome.js'

/**
 * How fast one rule may call its target: at most `rate_limit` executions per second, and
 * slower while the target keeps failing (`failure_backoff`). One throttle serves every
 * consumer of the rule in the process (main, retry and delayed events, and the groups of a
 * datacenter taken over), so the rule as a whole is held to it.
 *
 * An execution waits in `admit` before it starts and reports what the target did in `settle`.
 * Waiting holds the execution's consumer slot, so a throttled rule stops fetching and its
 * backlog stays in Kafka rather than in memory or in the retry topic.
 */
export interface RuleThrottle {
  /** Resolves when one more execution may start; rejects with the signal's reason when it aborts. */
  admit(signal: AbortSignal): Promise<ThrottleTicket>
  /**
   * Admits one more execution at once when it need not wait (no back-off under way, room in
   * the rate limit), as `admit` would without waiting; undefined when it must wait in `admit`.
   * Most executions pass here, without a promise or a signal to wait on.
   */
  admitNow(): ThrottleTicket | undefined
  /** What the execution admitted with `ticket` told of the target. */
  settle(ticket: ThrottleTicket, health: TargetHealth): void
  /** The wait between executions the back-off imposes now; 0 while the target answers. */
  backoffMs(): number
}

/** The back-off generation an execution was admitted in: only its own generation's failures lengthen the back-off. */
export interface ThrottleTicket { readonly generation: number }

export interface RateLimitSettings {
  /** Executions per second. */
  perSecond: number
  /** Executions that may start at once after an idle time. */
  burst: number
}

export interface BackoffSettings {
  /** Failures in a row that start the back-off. */
  after: number
  initialMs: number
  maxMs: number
}

export type ThrottleWaitReason = 'rate_limit' | 'backoff'

export interface ThrottleOptions {
  rateLimit?: RateLimitSettings | undefined
  backoff?: BackoffSettings | undefined
  now?: () => number
  /** An execution waited `ms` before it started, for this reason. */
  onWait?: (reason: ThrottleWaitReason, ms: number) => void
  /** The back-off changed: it started or grew (`delayMs` > 0), or the target answered again (0). */
  onBackoff?: (delayMs: number, failures: number) => void
}

export function createRuleThrottle (options: ThrottleOptions): RuleThrottle {
  const now = options.now ?? Date.now
  const rate = options.rateLimit === undefined ? undefined : createRateGate(options.rateLimit, now)
  const backoff = options.backoff === undefined ? undefined : createFailureBackoff(options.backoff, now, options.onBackoff)

  return {
    async admit (signal) {
      const ticket = backoff === undefined ? { generation: 0 } : await backoff.admit(signal, (ms) => options.onWait?.('backoff', ms))
      const waitMs = rate?.reserve() ?? 0
      if (waitMs > 0) {
        options.onWait?.('rate_limit', waitMs)
        await wait(waitMs, signal)
      }
      return ticket
    },
    admitNow () {
      if (backoff !== undefined && backoff.delayMs() > 0) return undefined
      if (rate !== undefined && !rate.reserveIfFree()) return undefined
      return { generation: backoff?.generation() ?? 0 }
    },
    settle (ticket, health) {
      backoff?.settle(ticket, health)
    },
    backoffMs () {
      return backoff?.delayMs() ?? 0
    }
  }
}

/**
 * A token bucket of `burst` tokens refilled at `perSecond`, kept as the theoretical arrival
 * time of the next execution (GCRA): each caller reserves its start time, so callers start in
 * the order they came, at exact times that do not drift with timer lateness, and over any
 * window of T seconds at most `burst + perSecond × T` executions start.
 */
function createRateGate (settings: RateLimitSettings, now: () => number): { reserve(): number, reserveIfFree(): boolean } {
  const intervalMs = 1000 / settings.perSecond
  const toleranceMs = (settings.burst - 1) * intervalMs
  let nextAt = Number.NEGATIVE_INFINITY
  return {
    /** Reserves one execution; returns how long from now it must wait. */
    reserve () {
      const time = now()
      const start = Math.max(time, nextAt - toleranceMs)
      nextAt = Math.max(nextAt, time) + intervalMs
      return start - time
    },
    /** Reserves one execution only when it may start now. */
    reserveIfFree () {
      const time = now()
      if (nextAt - toleranceMs > time) return false
      nextAt = Math.max(nextAt, time) + intervalMs
      return true
    }
  }
}

/**
 * Slows a rule down while its target fails: after `after` failures in a row, one execution
 * starts per back-off delay (a probe), the delay doubling with each probe that fails, up to
 * `maxMs`; the first execution the target answers ends it, and every waiting execution starts.
 * Failures of executions admitted before the last change (those already in flight when the
 * back-off started or grew) count as failures in a row but do not lengthen it again, so thirty
 * requests failing at once start the back-off at its first delay, not at its longest.
 */
function createFailureBackoff (settings: BackoffSettings, now: () => number, onChange?: (delayMs: number, failures: number) => void): {
  admit(signal: AbortSignal, onWait: (ms: number) => void): Promise<ThrottleTicket>
  settle(ticket: ThrottleTicket, health: TargetHealth): void
  delayMs(): number
  generation(): number
} {
  let failures = 0
  let delayMs = 0
  let nextAt = 0
  let generation = 0
  const sleepers = new Set<() => void>()

  function change (delay: number): void {
    delayMs = delay
    nextAt = now() + delay
    generation++
    onChange?.(delay, failures)
  }

  return {
    async admit (signal, onWait) {
      const started = now()
      for (;;) {
        const time = now()
        if (delayMs === 0) break
        if (time >= nextAt) {
          nextAt = time + delayMs
          break
        }
        await wait(nextAt - time, signal, sleepers)
      }
      const waited = now() - started
      if (waited > 0) onWait(waited)
      return { generation }
    },
    settle (ticket, health) {
      if (health === 'neutral') return
      if (health === 'answered') {
        failures = 0
        if (delayMs > 0) {
          change(0)
          for (const wake of [...sleepers]) wake()
        }
        return
      }
      failures++
      if (delayMs === 0) {
        if (failures >= settings.after) change(settings.initialMs)
      } else if (ticket.generation === generation) {
        change(Math.min(delayMs * 2, settings.maxMs))
      }
    },
    delayMs: () => delayMs,
    generation: () => generation
  }
}

/** Waits `ms`, or less when woken through `sleepers`; rejects with the signal's reason when it aborts. */
async function wait (ms: number, signal: AbortSignal, sleepers?: Set<() => void>): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      sleepers?.delete(done)
      resolve()
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      sleepers?.delete(done)
      reject(signal.reason ?? new Error('aborted'))
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', onAbort, { once: true })
    sleepers?.add(done)
  })
}

/** The throttle of one rule, its waits and back-off reported as metrics and logs. */
export function ruleThrottleFor (rule: { name: string, rateLimit: RateLimitSettings | undefined, backoff: BackoffSettings | undefined }, metrics: ChangepropMetrics, log: Logger): RuleThrottle {
  if (rule.rateLimit !== undefined) metrics.rateLimit.set({ rule: rule.name }, rule.rateLimit.perSecond)
  metrics.backoffDelay.set({ rule: rule.name }, 0)
  let backingOff = false
  return createRuleThrottle({
    rateLimit: rule.rateLimit,
    backoff: rule.backoff,
    onWait: (reason, ms) => { metrics.throttled.inc({ rule: rule.name, reason }, ms / 1000) },
    onBackoff: (delayMs, failures) => {
      metrics.backoffDelay.set({ rule: rule.name }, delayMs / 1000)
      if (delayMs > 0 && !backingOff) {
        metrics.backoffs.inc({ rule: rule.name })
        log.warn({ failures, delayMs }, 'the target keeps failing; slowing the rule down')
      } else if (delayMs > 0) {
        log.warn({ failures, delayMs }, 'the target still fails; slowing the rule down further')
      } else {
        log.info('the target answers again; the rule runs at full speed')
      }
      backingOff = delayMs > 0
    }
  })
}
