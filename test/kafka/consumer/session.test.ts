import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Consumer } from '@platformatic/kafka'
import type { CallbackWithPromise, ListOffsetsOptions, Offsets } from '@platformatic/kafka'
import { consumeStream } from '../../../src/kafka/consumer/session.js'
import { createTopic, requireBrokers, uniqueTopic } from '../../helpers/kafka.js'

/** A client whose first offset lookup fails at once, as a client closed while it joined does. */
class RefusingOffsets extends Consumer {
  override listOffsets (options: ListOffsetsOptions, callback: CallbackWithPromise<Offsets>): void
  override listOffsets (options: ListOffsetsOptions): Promise<Offsets>
  override listOffsets (_options: ListOffsetsOptions, callback?: CallbackWithPromise<Offsets>): void | Promise<Offsets> {
    const refused = new Error('offsets refused')
    if (callback === undefined) return Promise.reject(refused)
    callback(refused)
  }
}

test('a failure in the stream\'s first offset fetch reaches onError, never an unlistened error event', async (t) => {
  const topic = uniqueTopic('session')
  await createTopic(topic)
  const client = new RefusingOffsets({ bootstrapBrokers: [...requireBrokers()], clientId: 'test', groupId: `session-${randomUUID()}` })
  t.after(async () => { await client.close(true).catch(() => undefined) })
  const uncaught: Error[] = []
  const onUncaught = (err: Error): void => { uncaught.push(err) }
  process.prependListener('uncaughtException', onUncaught)
  t.after(() => { process.removeListener('uncaughtException', onUncaught) })
  const failure = new Promise<Error>((resolve) => {
    consumeStream(client, { topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false }, resolve)
      .then((stream) => { stream.close().catch(() => undefined) }, resolve)
  })
  assert.match((await failure).message, /offsets refused/)
  assert.deepEqual(uncaught, [])
})
