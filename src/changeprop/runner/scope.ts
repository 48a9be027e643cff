import type { ConsumedMessage } from '../../kafka/index.js'
import type { Logger } from '../../logger.js'
import type { ChangepropMetrics, ChangepropSource, EventResult } from '../../metrics/changeprop.js'
import type { TopicNaming } from '../../stream-config/index.js'
import type { RunnerDeps } from '../attempt.js'
import type { Decoded } from '../decode.js'
import type { ExecSlots } from '../exec-slots.js'
import type { StepRunner } from '../exec-steps.js'
import type { FailureProducer } from '../failure-producer.js'
import type { InFlightKeys } from '../in-flight-keys.js'
import type { CompiledRule } from '../rules/compile.js'
import type { RuleThrottle } from '../throttle.js'

/** What the stages of one rule's runner share: made once per runner (index.ts), never per event. */
export interface RuleScope {
  rule: CompiledRule
  deps: RunnerDeps
  log: Logger
  metrics: ChangepropMetrics
  now: () => number
  /** The `emitter_id` of this rule's retry and delay events: each rule takes only its own from the topics it shares. */
  emitterId: string
  /** How the consumed topics are named: this datacenter's, or those of another it took over. */
  consumed: TopicNaming
  decode: (message: ConsumedMessage) => Decoded
  runStep: StepRunner
  failures: FailureProducer
  inFlight: InFlightKeys
  throttle: RuleThrottle
  /** The execution slots of retried and delayed events, which wait for their time without one. */
  deferredSlots: ExecSlots
  /** The longest a delayed event waits in memory. */
  delayHoldMaxMs: number
  /** Aborts when shutdown begins: events waiting for their time stop waiting. */
  stopping: AbortSignal
}

/** A wait ends at the message's own abort, or when shutdown begins. */
export function waitSignal (scope: RuleScope, signal: AbortSignal): AbortSignal {
  return AbortSignal.any([signal, scope.stopping])
}

export function count (scope: RuleScope, source: ChangepropSource, result: EventResult): void {
  scope.metrics.events.inc({ rule: scope.rule.name, source, result })
}

/** A dedupe or limiter store that fails lets the event through rather than stalling the rule. */
export async function failOpen<T> (scope: RuleScope, store: 'dedupe' | 'limiter', fallback: T, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    scope.metrics.stateStoreErrors.inc({ store })
    scope.log.warn({ err }, `${store} store failed; letting the event through`)
    return fallback
  }
}
