import { KafkaProduceError } from '../kafka/index.js'
import type { ProduceRecord } from '../kafka/index.js'
import type { Attempt } from './attempt.js'
import { assertNoLoop, hopOf } from './chain.js'
import type { ChangeEvent } from './decode.js'
import { LoopDetectedError, ProduceRefusedError } from './errors.js'
import type { StepScope } from './exec-steps.js'
import type { StepResult } from './outcome.js'

// The events exec steps produce (a `queue` step's, a module's): filled in, checked for loops,
// and sent to Kafka in one send.

/** An event a rule produces, with its id, time, request id, chain and root event filled in. */
export function chained (scope: StepScope, event: ChangeEvent, attempt: Attempt): ChangeEvent {
  const source = attempt.event.meta
  event.meta.id ??= scope.newId()
  event.meta.dt ??= new Date(scope.now()).toISOString()
  if (event.meta.request_id === undefined && typeof source.request_id === 'string') event.meta.request_id = source.request_id
  event.triggered_by = attempt.chain
  if (event.root_event === undefined && typeof source.dt === 'string') {
    const root = attempt.event.root_event
    event.root_event = root !== undefined && root !== null && typeof root === 'object'
      ? root
      : { signature: typeof source.uri === 'string' ? source.uri : hopOf(attempt.event, attempt.topic), dt: source.dt }
  }
  return event
}

/** Loop protection: false (and counted, logged) when the event would re-trigger itself or make the chain too long. */
export function loopFree (scope: StepScope, chain: string, hop: string): boolean {
  try {
    assertNoLoop(chain, hop, scope.deps.maxChainLength)
    return true
  } catch (err) {
    if (!(err instanceof LoopDetectedError)) throw err
    scope.metrics.loopsPrevented.inc({ rule: scope.rule.name })
    scope.log.warn({ err, chain }, 'not producing an event that would loop')
    return false
  }
}

/** Sends a step's records; a refusal no retry changes fails the step for good, any other failure for a retry. */
export async function send (scope: StepScope, records: ProduceRecord[], signal: AbortSignal): Promise<StepResult> {
  const { rule, metrics } = scope
  if (records.length === 0) return { kind: 'produced', count: 0 }
  try {
    await scope.deps.producer.send(records)
  } catch (err) {
    if (signal.aborted) throw err
    if (err instanceof KafkaProduceError) {
      metrics.produceRefused.inc({ rule: rule.name, kind: 'exec', outcome: 'error_event' })
      return { kind: 'produce-refused', error: new ProduceRefusedError('exec', err.kafkaError, { cause: err }) }
    }
    return { kind: 'produce-failed', error: err instanceof Error ? err : new Error(String(err)) }
  }
  metrics.produced.inc({ rule: rule.name, kind: 'exec' }, records.length)
  return { kind: 'produced', count: records.length }
}
