import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MultipleErrors, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka'
import { KafkaProduceError, KafkaUnavailableError, classifyProduceError, isRetriable, protocolErrorOf } from '../../src/kafka/errors.js'

// The errors as the client reports them: one per retry and per partition, wrapped.
const tooLarge = new MultipleErrors('Producing messages failed.', [new ProtocolError('MESSAGE_TOO_LARGE')])
const refused = new NetworkError('Connection refused', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') })

test('a broker\'s refusal of the records is a KafkaProduceError naming the Kafka error; it is not retriable', () => {
  const err = classifyProduceError(tooLarge)
  assert.ok(err instanceof KafkaProduceError)
  assert.equal(err.kafkaError, 'MESSAGE_TOO_LARGE')
  assert.equal(err.retriable, false)
  assert.match(err.message, /larger than the max message size/)
  assert.equal(isRetriable(tooLarge), false)
})

test('network errors, timeouts and retriable broker errors mean Kafka is unavailable (503)', () => {
  for (const cause of [refused, new TimeoutError('Request timed out.'), new MultipleErrors('produce failed 3 times.', [new ProtocolError('NOT_LEADER_OR_FOLLOWER'), refused])]) {
    const err = classifyProduceError(cause)
    assert.ok(err instanceof KafkaUnavailableError, cause.message)
    assert.equal(err.statusCode, 503)
    assert.equal(isRetriable(cause), true)
  }
})

test('protocolErrorOf finds the broker\'s error under the wrappers', () => {
  const nested = new MultipleErrors('joinGroup failed 2 times.', [refused, new MultipleErrors('Received response with error', [new ProtocolError('INVALID_SESSION_TIMEOUT')])])
  assert.equal(protocolErrorOf(nested)?.name, 'INVALID_SESSION_TIMEOUT')
  assert.equal(protocolErrorOf(nested, (name) => name === 'MESSAGE_TOO_LARGE'), undefined)
  assert.equal(isRetriable(nested), false)
  assert.equal(protocolErrorOf(refused), undefined)
})
