import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import type { CliIO } from '../../src/cli/io.js'
import { createEventProducer, fetchTopicOffsets } from '../../src/kafka/index.js'
import { DEFAULT_KAFKA_VERSION, TESTED_KAFKA_VERSIONS, kafkaRelease, startLocalBroker, stopLocalBroker } from '../../src/local-kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { readMessages, testKafkaVersion, testTmpDir, uniqueTopic } from '../helpers/kafka.js'

function captureIO (env: NodeJS.ProcessEnv = {}): { io: CliIO, stderr: () => string } {
  const err = new PassThrough()
  let text = ''
  err.on('data', (chunk: Buffer) => { text += chunk.toString() })
  return { io: { stdout: new PassThrough(), stderr: err, env, cwd: process.cwd(), stopSignal: new Promise(() => undefined), onReload: () => undefined }, stderr: () => text }
}

test('the local broker defaults to a Kafka 4 release, and 3.9 stays tested', () => {
  assert.match(DEFAULT_KAFKA_VERSION, /^4\.\d+\.\d+$/)
  assert.equal(TESTED_KAFKA_VERSIONS[0], DEFAULT_KAFKA_VERSION)
  assert.ok(TESTED_KAFKA_VERSIONS.some((version) => version.startsWith('3.9.')))
})

test('each release logs through the backend it ships with: log4j2 from 4.0, reload4j before', () => {
  assert.equal(kafkaRelease('4.0.0').profile, 'log4j2')
  assert.equal(kafkaRelease('4.0.0').logConfigProperty, 'log4j2.configurationFile')
  assert.equal(kafkaRelease('3.9.1').profile, 'reload4j')
  assert.equal(kafkaRelease('3.9.1').logConfigProperty, 'log4j.configuration')
  assert.equal(kafkaRelease().version, DEFAULT_KAFKA_VERSION)
})

test('a release the local broker cannot run is refused with SLUICE_ERR_KAFKA_VERSION_UNSUPPORTED', () => {
  for (const version of ['3.8.1', '2.8.2', '5.0.0', '4.0', 'latest', '4.0.0-rc1']) {
    assert.throws(() => kafkaRelease(version), { code: 'SLUICE_ERR_KAFKA_VERSION_UNSUPPORTED' }, version)
  }
})

test('sluice kafka takes the release from --version, else KAFKA_VERSION, and refuses a bad one before fetching', async () => {
  const fromFlag = captureIO({ KAFKA_VERSION: DEFAULT_KAFKA_VERSION })
  assert.equal(await runKafkaCommand(['fetch', '--version', '3.8.0'], fromFlag.io), 1)
  assert.match(fromFlag.stderr(), /'3\.8\.0' is not supported.*\[SLUICE_ERR_KAFKA_VERSION_UNSUPPORTED\]/)

  const fromEnv = captureIO({ KAFKA_VERSION: '5.1.0' })
  assert.equal(await runKafkaCommand(['status', '--data-dir', testTmpDir()], fromEnv.io), 1)
  assert.match(fromEnv.stderr(), /'5\.1\.0' is not supported/)
})

// The run's own broker covers its release through every other test; this starts each other
// tested release once (a JVM start each, and a Maven fetch the first time).
for (const version of TESTED_KAFKA_VERSIONS.filter((v) => v !== (testKafkaVersion() ?? DEFAULT_KAFKA_VERSION))) {
  test(`Kafka ${version} starts, logs through its backend, and takes and serves records`, async (t) => {
    const dataDir = await mkdtemp(join(testTmpDir(), `sluice-kafka-${version}-`))
    t.after(async () => {
      await stopLocalBroker(dataDir, { timeoutMs: 5000 })
      await rm(dataDir, { recursive: true, force: true })
    })
    const broker = await startLocalBroker({ port: 0, dataDir, version })
    // Only a logging backend that read its config file writes this INFO line.
    assert.match(await readFile(join(dataDir, 'broker.log'), 'utf8'), /Kafka Server started/)

    const topic = uniqueTopic(`kafka-${version}`)
    const producer = createEventProducer({ brokers: [broker.bootstrap], clientId: 'versions-test', logger: createLogger({ level: 'silent', name: 'test' }) })
    t.after(() => producer.close())
    await producer.connect()
    await producer.send([{ topic, key: 'k', value: `on ${version}` }])
    assert.deepEqual((await fetchTopicOffsets([broker.bootstrap], topic)).map((p) => p.high), ['1'])
    const [message] = await readMessages(topic, 1, { brokers: [broker.bootstrap] })
    assert.equal(message?.value, `on ${version}`)
  })
}
