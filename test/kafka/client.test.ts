import { test } from 'node:test'
import assert from 'node:assert/strict'
import { logLevel } from 'kafkajs'
import { pinoLevelOf } from '../../src/kafka/client.js'

const at = (level: logLevel, namespace: string, message: string): ReturnType<typeof pinoLevelOf> =>
  pinoLevelOf({ level, namespace, log: { timestamp: '', logger: 'kafkajs', message } })

test('error responses kafkajs retries are warnings; other kafkajs errors stay errors', () => {
  assert.equal(at(logLevel.ERROR, 'Connection', 'Response GroupCoordinator(key: 10, version: 2)'), 'warn')
  assert.equal(at(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1'), 'error')
  assert.equal(at(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded'), 'error')
})

test('kafkajs warnings stay warnings; its info chatter is debug', () => {
  assert.equal(at(logLevel.WARN, 'Producer', 'x'), 'warn')
  assert.equal(at(logLevel.INFO, 'ConsumerGroup', 'Consumer has joined the group'), 'debug')
  assert.equal(at(logLevel.DEBUG, 'Connection', 'Request Metadata'), 'debug')
})
