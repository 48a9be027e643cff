import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { processEvents, processHasty } from '../../../src/gateway/pipeline/index.js'
import type { PipelineDeps, ProcessOptions } from '../../../src/gateway/pipeline/index.js'
import type { EventProducer, ProduceRecord } from '../../../src/kafka/index.js'
import { pipelineDeps, requestInfo } from '../../helpers/gateway.js'

/** A producer whose sends wait until `release()`: records stay in flight as long as a test wants. */
function heldProducer (): EventProducer & { sent: ProduceRecord[], sending: Promise<void>, release(): void } {
  const waiting: Array<() => void> = []
  let onSend: () => void = () => {}
  const sending = new Promise<void>((resolve) => { onSend = resolve })
  const producer = {
    sent: [] as ProduceRecord[],
    sending,
    async connect () {},
    monitor () {},
    async send (records: readonly ProduceRecord[]) {
      producer.sent.push(...records)
      onSend()
      await new Promise<void>((resolve) => { waiting.push(resolve) })
    },
    isReady: () => true,
    async close () { return true },
    release () { for (const resolve of waiting.splice(0)) resolve() }
  }
  return producer
}

/** A full garbage collection, from a test process started without --expose-gc. */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

const event = (): Record<string, unknown> => ({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, test: 'x'.repeat(1000) })

/** Whether the event passed to `run` is still reachable while its record waits for Kafka. */
async function keptWhileProducing (run: (deps: PipelineDeps, events: unknown[] | undefined) => Promise<unknown>): Promise<boolean> {
  const producer = heldProducer()
  const deps = pipelineDeps(producer)
  let events: unknown[] | undefined = [event()]
  const ref = new WeakRef(events[0] as object)
  const done = run(deps, events)
  events = undefined
  await producer.sending
  collectGarbage()
  await new Promise((resolve) => setImmediate(resolve))
  collectGarbage()
  const kept = ref.deref() !== undefined
  producer.release()
  await done
  assert.equal(producer.sent.length, 1, 'the record was produced')
  return kept
}

test('a hasty request lets its parsed events go while their records wait for Kafka', async () => {
  const options: ProcessOptions = {}
  assert.equal(await keptWhileProducing(async (deps, events) => processHasty(deps, events, requestInfo(), options)), false)
  // The guaranteed path answers with the failed events, so it keeps them: the check can tell.
  assert.equal(await keptWhileProducing(async (deps, events) => processEvents(deps, events!, requestInfo(), options)), true)
})
