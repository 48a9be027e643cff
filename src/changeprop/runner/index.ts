import { setMaxListeners } from 'node:events'
import type { ConsumedMessage } from '../../kafka/index.js'
import { namingOf } from '../../stream-config/index.js'
import type { RunnerDeps } from '../attempt.js'
import { decodeEvent } from '../decode.js'
import type { Decoded } from '../decode.js'
import { createStepRunner } from '../exec-steps.js'
import { createExecSlots } from '../exec-slots.js'
import { emitterIdOf } from '../failure-events.js'
import { createFailureProducer } from '../failure-producer.js'
import { createInFlightKeys } from '../in-flight-keys.js'
import type { CompiledRule } from '../rules/compile.js'
import { ruleThrottleFor } from '../throttle.js'
import { handleMain, handleRetry } from './handlers.js'
import type { RuleScope } from './scope.js'

export type { Attempt, RunnerDeps } from '../attempt.js'

/** Message handlers of one rule, for its main consumer and its retry consumer (which also reads its delay topics). */
export interface RuleRunner {
  handleMain(message: ConsumedMessage, signal: AbortSignal): Promise<void>
  handleRetry(message: ConsumedMessage, signal: AbortSignal): Promise<void>
  /**
   * Shutdown: events waiting for their time, for the throttle or for an execution slot stop
   * waiting and reject, staying uncommitted to wait again after the restart; so closing the
   * consumers does not wait for them. Executions already running go on.
   */
  stopWaiting(): void
}

/**
 * The per-message pipeline of one rule, read top to bottom:
 * decode → match → block list → sample → delay → dedupe → limiters → throttle → exec steps → outcome → retry or error event.
 *
 * handlers.ts decodes, checks the envelope of retry and delay events, waits for their time
 * (due-time.ts) and matches; run.ts runs the attempt from the block list to the outcome;
 * failed-step.ts turns a failed step into a retry or error event. Each stage takes the rule's
 * scope (scope.ts), made here once.
 *
 * The retry consumer reads the rule's retry and delay topics. Its events wait for their time
 * (a retry's delay, the target's Retry-After, the rule's delay) without an execution slot;
 * `concurrency` of them execute at once (exec-slots.ts).
 *
 * A handler resolves only when the message's outcome is durable: the exec steps succeeded (or
 * were ignored), or the retry or error event was acknowledged by Kafka (failure-producer.ts).
 * It rejects only at shutdown, leaving the message uncommitted to run again after a restart.
 */
export function createRuleRunner (rule: CompiledRule, deps: RunnerDeps): RuleRunner {
  const stopping = new AbortController()
  // Every waiting event listens on it.
  setMaxListeners(0, stopping.signal)
  const scope = createRuleScope(rule, deps, stopping.signal)
  return {
    // Not async themselves: a wrapper would add a promise to every message.
    handleMain: (message, signal) => handleMain(scope, message, signal),
    handleRetry: (message, signal) => handleRetry(scope, message, signal),
    stopWaiting () {
      stopping.abort(new Error('shutting down: the event waits again after the restart'))
    }
  }
}

function createRuleScope (rule: CompiledRule, deps: RunnerDeps, stopping: AbortSignal): RuleScope {
  const log = deps.logger.child({ module: 'changeprop', rule: rule.name })
  const { metrics } = deps
  return {
    rule,
    deps,
    log,
    metrics,
    now: deps.now ?? Date.now,
    emitterId: emitterIdOf(deps.service, rule.name),
    // Another datacenter's topics are named as that datacenter names them: a legacy stream's bare
    // name only when it is the legacy home, else its prefixed one (never this datacenter's own).
    consumed: namingOf(deps.consumedPrefix ?? deps.topicPrefix, deps.legacyTopicsHome ?? deps.topicPrefix),
    decode: deps.decode ?? ((message: ConsumedMessage): Decoded => decodeEvent(message.value)),
    runStep: createStepRunner(rule, deps, log),
    failures: createFailureProducer(rule, deps, log),
    inFlight: createInFlightKeys(),
    throttle: deps.throttle ?? ruleThrottleFor(rule, metrics, log),
    deferredSlots: createExecSlots(rule.concurrency),
    delayHoldMaxMs: deps.delayHoldMaxMs ?? 300000,
    stopping
  }
}
