import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import type { CliIO } from '../../src/cli/io.js'
import { createClusterProbe, createEventProducer, fetchTopicOffsets, resolveKafkaSecurity } from '../../src/kafka/index.js'
import { portTakenAtBind } from '../../src/local-kafka/broker.js'
import yaml from 'js-yaml'
import { fetchMirrorJars, localBrokerStatus, startLocalBroker, stopLocalBroker } from '../../src/local-kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { produceMessages, testKafkaVersion, testTmpDir, uniqueTopic } from '../helpers/kafka.js'

// These start their own broker next to the test run's one, so they cost a JVM start (a few seconds).

async function tempDataDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-broker-test-'))
  t.after(async () => {
    await stopLocalBroker(dir, { timeoutMs: 5000 })
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

function captureIO (): { io: CliIO, stdout: () => string } {
  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => { text += chunk.toString() })
  return { io: { stdout: out, stderr: new PassThrough(), env: {}, cwd: process.cwd(), stopSignal: new Promise(() => undefined), onReload: () => undefined }, stdout: () => text }
}

test('a port that is taken is refused before any JVM starts', async (t) => {
  const dataDir = await tempDataDir(t)
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { holder.close(() => { resolve() }) }))
  const address = holder.address()
  if (address === null || typeof address !== 'object') return assert.fail('no address')
  await assert.rejects(startLocalBroker({ port: address.port, dataDir, version: testKafkaVersion() }), { code: 'SLUICE_ERR_KAFKA_PORT_IN_USE' })
})

test('a JVM that exits during start-up is reported with the tail of its log', async (t) => {
  const dataDir = await tempDataDir(t)
  await assert.rejects(
    startLocalBroker({ port: 0, dataDir, version: testKafkaVersion(), jvmOptions: ['-XX:+SluiceNoSuchJvmOption'], timeoutMs: 30000 }),
    (err: Error & { code?: string, logTail?: string }) => {
      assert.equal(err.code, 'SLUICE_ERR_KAFKA_BROKER_EXITED')
      assert.match(err.logTail ?? '', /SluiceNoSuchJvmOption/)
      return true
    }
  )
  assert.equal((await localBrokerStatus(dataDir)).running, false)
})

test('a port taken between choosing it and the broker binding it is chosen again: a secured listener moves, the broker starts', async (t) => {
  const dataDir = await tempDataDir(t)
  const first = await startLocalBroker({ port: 0, dataDir, version: testKafkaVersion(), security: true })
  const port = Number(first.bootstrap.split(':')[1])
  const sslAddress = first.security?.ssl ?? assert.fail('no TLS listener')
  await first.stop()

  // The listener's port is in the data dir's state, so a restart binds it without asking: take it first.
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(Number(sslAddress.split(':')[1]), '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { holder.close(() => { resolve() }) }))

  const again = await startLocalBroker({ port, dataDir, version: testKafkaVersion(), security: true })
  assert.equal(again.bootstrap, first.bootstrap)
  assert.notEqual(again.security?.ssl, sslAddress)
  assert.deepEqual((await localBrokerStatus(dataDir)).security, again.security)
  const moved = again.security ?? assert.fail('no security')
  const clientConfig = yaml.load(await readFile(join(moved.dir, 'client-ssl.yaml'), 'utf8')) as { kafka: { brokers: string[] } }
  assert.deepEqual(clientConfig.kafka.brokers, [moved.ssl], 'the ready-made client section names the new port')
  const security = resolveKafkaSecurity({ ssl: { ca_file: moved.caFile, cert_file: moved.clientCertFile, key_file: moved.clientKeyFile } }, { cwd: dataDir, env: {} })
  const probe = createClusterProbe({ brokers: [moved.ssl], clientId: 'broker-test', timeoutMs: 5000, security, logger: createLogger({ level: 'silent', name: 'test' }) })
  t.after(() => probe.close())
  await probe.check()
})

test('the port a broker could not bind is read from its log', () => {
  const line = 'Caused by: org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:36564: Address already in use.'
  assert.equal(portTakenAtBind(`...\n${line}\n\tat java.base/sun.nio.ch.Net.bind0(Native Method)`), 36564)
  assert.equal(portTakenAtBind('Unrecognized VM option SluiceNoSuchJvmOption'), undefined)
})

test('a second broker starts, reports its status, serves clients and stops', async (t) => {
  const dataDir = await tempDataDir(t)
  const broker = await startLocalBroker({ port: 0, dataDir, partitions: 3, version: testKafkaVersion() })
  assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/)
  assert.deepEqual(await localBrokerStatus(dataDir), { running: true, pid: broker.pid, bootstrap: broker.bootstrap })
  const again = await startLocalBroker({ port: 0, dataDir, version: testKafkaVersion() })
  assert.equal(again.pid, broker.pid, 'a running broker is reused, not started twice')

  const cli = captureIO()
  assert.equal(await runKafkaCommand(['status', '--data-dir', dataDir], cli.io), 0)
  assert.match(cli.stdout(), new RegExp(`running ${broker.bootstrap.replaceAll('.', '\\.')}`))

  // --partitions applies to auto-created topics.
  const topic = uniqueTopic('auto-created')
  await produceMessages(topic, [{ value: 'x' }], { brokers: [broker.bootstrap] })
  assert.equal((await fetchTopicOffsets([broker.bootstrap], topic)).length, 3)

  const produceTimeoutMs = 2000
  const producer = createEventProducer({ brokers: [broker.bootstrap], clientId: 'broker-test', produceTimeoutMs, logger: createLogger({ level: 'silent', name: 'test' }) })
  t.after(() => producer.close())
  await producer.connect()
  await producer.send([{ topic, key: 'k', value: 'before stop' }])

  await broker.stop()
  assert.equal((await localBrokerStatus(dataDir)).running, false)
  assert.equal(await stopLocalBroker(dataDir), false)
  const stopped = captureIO()
  assert.equal(await runKafkaCommand(['status', '--data-dir', dataDir], stopped.io), 1)

  // The producer was connected; with the broker gone a send must still settle in time.
  const started = Date.now()
  await assert.rejects(producer.send([{ topic, key: 'k', value: 'after stop' }]), { code: 'SLUICE_ERR_KAFKA_UNAVAILABLE', statusCode: 503 })
  assert.ok(Date.now() - started < produceTimeoutMs + 1000, `send settled after ${Date.now() - started} ms`)
  assert.equal(producer.isReady(), false)
})

test('two fetches of the same jars at once leave one copy, never replaced under a JVM that loads from it', async (t) => {
  // Both find the cache empty and run Maven (out of the local repository, so no download); the
  // one that finishes second must keep the first one's copy, which a mirror may already use.
  const cacheDir = join(await mkdtemp(join(testTmpDir(), 'sluice-jar-race-')), 'libs')
  t.after(() => rm(dirname(cacheDir), { recursive: true, force: true }))
  const inodes: number[] = []
  const fetches = [0, 1].map(async () => {
    const fetched = await fetchMirrorJars({ cacheDir })
    inodes.push((await stat(fetched.dir)).ino)
    return fetched
  })
  const [first, second] = await Promise.all(fetches)
  assert.equal(first!.fetched && second!.fetched, true, 'both ran Maven')
  assert.equal(inodes[0], inodes[1], 'the copy the first fetch returned is the one that stays')
  assert.equal((await stat(cacheDir)).ino, inodes[0])
  assert.deepEqual((await readdir(dirname(cacheDir))).sort(), ['libs'], 'no staging directory left behind')
})
