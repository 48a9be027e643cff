import type { Logger } from '../../logger.js'
import type { Attempt } from '../attempt.js'
import { TemplateRenderError } from '../errors.js'
import { dedupeKeysOf } from '../in-flight-keys.js'
import type { StepResult, StepVerdict } from '../outcome.js'
import { judgeStep, statusClass, targetHealth } from '../outcome.js'
import type { TemplateContext } from '../rules/template/index.js'
import { dueTimeOf } from './due-time.js'
import { handleFailure } from './failed-step.js'
import type { LimiterKeys } from './failed-step.js'
import { count, failOpen, waitSignal } from './scope.js'
import type { RuleScope } from './scope.js'

/** sample → dedupe hold → the deduplicated part; a template that fails on the way sends the event to the error topic. */
export async function runAttempt (scope: RuleScope, attempt: Attempt, signal: AbortSignal): Promise<void> {
  const { rule, log } = scope
  const context: TemplateContext = { message: attempt.event, match: attempt.found.captures }
  // Made on the first line logged: most events log none, and a child per event and rule was
  // a large share of the garbage with twenty rules.
  let made: Logger | undefined
  const eventLog = (): Logger => {
    made ??= log.child({ source: attempt.source, topic: attempt.topic, partition: attempt.message.partition, offset: attempt.message.offset })
    return made
  }
  try {
    // The static block list comes first, as in the reference: a listed page costs nothing.
    if (rule.blacklisted?.(attempt.event) === true) return count(scope, attempt.source, 'blacklisted')
    const { sampler } = attempt.found.ruleCase
    if (sampler !== undefined && !sampler(context)) return count(scope, attempt.source, 'sampled_out')
    if (attempt.source === 'main' && rule.delay !== undefined) {
      const due = dueTimeOf(rule.delay, context, attempt.event, attempt.message)
      if (due !== undefined && due > scope.now()) {
        count(scope, 'main', 'delayed')
        await scope.failures.delay(attempt, due, signal)
        return
      }
    }
    const keys = dedupeKeysOf(rule, attempt, context)
    await scope.inFlight.exclusive(keys, async () => runDeduplicated(scope, attempt, context, keys, eventLog, signal))
  } catch (err) {
    if (signal.aborted || !(err instanceof TemplateRenderError)) throw err
    // A template of the sampler, delay, dedupe key or limiter key failed for this event.
    eventLog().error({ err }, 'template failed; sending the event to the error topic')
    await scope.failures.error({ handled: attempt.handled, raw: '', error: err, reason: 'template', chain: attempt.chain, trace: attempt.trace }, signal)
  }
}

/** dedupe check → limiters → throttle → exec steps → outcome → dedupe record. */
async function runDeduplicated (scope: RuleScope, attempt: Attempt, context: TemplateContext, keys: readonly string[], eventLog: () => Logger, signal: AbortSignal): Promise<void> {
  const { rule, deps, metrics } = scope
  if (keys.length > 0 && await failOpen(scope, 'dedupe', false, async () => deps.dedupe.seen(rule.name, keys))) {
    count(scope, attempt.source, 'duplicate')
    eventLog().debug('duplicate; skipped')
    return
  }
  const limiterKeys: LimiterKeys = attempt.found.ruleCase.limiters.map((limiter) => ({ type: limiter.type, key: String(limiter.key(context)) }))
  for (const { type, key } of limiterKeys) {
    if (await failOpen(scope, 'limiter', false, async () => deps.limiter.isLimited(type, key))) {
      count(scope, attempt.source, 'rate_limited')
      eventLog().info({ limiter: type }, 'failure budget of the key used up; skipped')
      return
    }
  }
  count(scope, attempt.source, 'matched')
  // The signal a wait needs is made only for an execution that waits (AbortSignal.any and its cleanup were 5 % of the CPU).
  const ticket = scope.throttle.admitNow() ?? await scope.throttle.admit(waitSignal(scope, signal))
  const failure = await execSteps(scope, attempt, context, signal)
  scope.throttle.settle(ticket, targetHealth(failure?.result, rule.outcome))
  if (failure === undefined) metrics.succeeded.inc({ rule: rule.name, source: attempt.source })
  else await handleFailure(scope, attempt, failure.result, failure.verdict, limiterKeys, eventLog, signal)
  if (keys.length > 0) await failOpen(scope, 'dedupe', undefined, async () => deps.dedupe.record(rule.name, keys))
}

/** Runs the case's steps in order; the first that fails (to retry, or for good) ends them. */
async function execSteps (scope: RuleScope, attempt: Attempt, context: TemplateContext, signal: AbortSignal): Promise<{ result: StepResult, verdict: StepVerdict } | undefined> {
  const { rule, metrics } = scope
  for (const step of attempt.found.ruleCase.exec) {
    const started = performance.now()
    const result = await scope.runStep(step, context, attempt, signal)
    metrics.execDuration.observe({ rule: rule.name, status_class: statusClass(result) }, (performance.now() - started) / 1000)
    const verdict = judgeStep(result, rule.outcome)
    if (verdict === 'retry' || verdict === 'fail') return { result, verdict }
  }
  return undefined
}
