import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { validateConfig } from '../../src/config/load.js'
import { checkKafkaAccess, createClusterProbe, createEventProducer, fetchTopicOffsets, kafkaSecuritySchema, resolveKafkaSecurity, tailTopic } from '../../src/kafka/index.js'
import type { KafkaSecurity, KafkaSecurityConfig } from '../../src/kafka/index.js'
import yaml from 'js-yaml'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import { startMirror } from '../../src/local-kafka/index.js'
import { captureIO } from '../helpers/io.js'
import { readMessages, requireBrokers } from '../helpers/kafka.js'
import { testLogger } from '../helpers/logger.js'
import { makeUntrustedCa, startSecuredBroker, unsignedToken, writeSecret } from '../helpers/secured-broker.js'
import type { KafkaSection, SecuredBroker } from '../helpers/secured-broker.js'
import { waitFor } from '../helpers/wait.js'

// The local broker's secured listeners (`sluice kafka start --security`), each reached by
// Sluice's own Kafka clients with the settings of a service's `kafka` section, and every way a
// broker refuses a client: the clients' failure classification (src/kafka/client.ts, health.ts)
// is tested here too, against the real listeners. One secured broker serves the whole file.

const cleanups: Array<() => Promise<void>> = []
let broker: SecuredBroker
before(async () => { broker = await startSecuredBroker({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }) })
after(async () => { for (const fn of cleanups.reverse()) await fn() })

const timeoutMs = 2000

/** A `kafka` section as a service config file has it, validated by the shared schema and resolved. */
function securityOf (section: KafkaSection, lines?: string[]): KafkaSecurity | undefined {
  const config = validateConfig({ ssl: section.ssl, sasl: section.sasl }, { type: 'object', additionalProperties: false, properties: kafkaSecuritySchema }, 'test') as KafkaSecurityConfig
  return resolveKafkaSecurity(config, { cwd: broker.dir, env: {}, logger: testLogger(lines) })
}

/** One probe (fresh connections) of the section's cluster; resolves to the error, if any, and the time taken. */
async function probe (section: KafkaSection): Promise<{ err: (Error & { code?: string }) | undefined, ms: number }> {
  const started = Date.now()
  const check = createClusterProbe({ brokers: section.brokers, clientId: 'security-test', timeoutMs, security: securityOf(section), logger: testLogger() })
  try {
    await check.check()
    return { err: undefined, ms: Date.now() - started }
  } catch (err) {
    return { err: err as Error & { code?: string }, ms: Date.now() - started }
  } finally {
    await check.close()
  }
}

/** Produces one record through the section's listener with the service producer; resolves to the topic. */
async function produceOne (section: KafkaSection, value: string): Promise<string> {
  const topic = `secured-${randomUUID()}`
  const producer = createEventProducer({ brokers: section.brokers, clientId: 'security-test', security: securityOf(section), logger: testLogger() })
  try {
    await producer.connect()
    await producer.send([{ topic, key: null, value }])
  } finally {
    await producer.close()
  }
  return topic
}

/** Reads the first record of `topic` through the section's listener with a consumer group (`sluice kafka tail`'s). */
async function tailOne (section: KafkaSection, topic: string): Promise<string> {
  const read: string[] = []
  await tailTopic(section.brokers, topic, { fromBeginning: true, max: 1, security: securityOf(section), onMessage: (m) => { read.push(m.value) } })
  return read[0] ?? ''
}

test('every secured listener takes the clients it is for: mutual TLS, SCRAM-SHA-512 and -256 and PLAIN over TLS, PLAIN without TLS', async () => {
  for (const section of [broker.configs.mtls(), broker.configs.scram('SCRAM-SHA-256'), broker.configs.saslSslPlain(), broker.configs.saslPlaintext()]) {
    const topic = await produceOne(section, 'x')
    // Read back over the same listener by an admin call (ListOffsets): one record.
    assert.deepEqual((await fetchTopicOffsets(section.brokers, topic, { security: securityOf(section) })).map((p) => p.high), ['1'], JSON.stringify(section))
  }
  // And a consumer group's whole protocol (join, fetch) over SASL_SSL.
  const scram = broker.configs.scram('SCRAM-SHA-512')
  assert.equal(await tailOne(scram, await produceOne(scram, 'over SCRAM-SHA-512')), 'over SCRAM-SHA-512')
})

test('OAUTHBEARER: the token file is read again when it changes', async () => {
  const tokenFile = await writeSecret(broker.dir, 'token', unsignedToken('sluice', -60))
  const section = broker.configs.oauth(tokenFile)
  const check = createClusterProbe({ brokers: section.brokers, clientId: 'security-test', timeoutMs, security: securityOf(section), logger: testLogger() })
  try {
    await assert.rejects(check.check(), { code: 'SLUICE_ERR_KAFKA_AUTHENTICATION' }, 'an expired token is refused')
    await writeFile(tokenFile, unsignedToken('sluice', 3600))
    await check.check()
  } finally {
    await check.close()
  }
  const topic = await produceOne(section, 'over OAUTHBEARER')
  assert.deepEqual((await fetchTopicOffsets(section.brokers, topic, { security: securityOf(section) })).map((p) => p.high), ['1'])
})

test('a wrong password stops within the timeout with SLUICE_ERR_KAFKA_AUTHENTICATION, naming the mechanism and the user and never the password', async () => {
  const wrong = `wrong-${randomUUID()}`
  const { err, ms } = await probe(broker.configs.scram('SCRAM-SHA-512', await writeSecret(broker.dir, 'wrong.password', wrong)))
  assert.equal(err?.code, 'SLUICE_ERR_KAFKA_AUTHENTICATION', err?.message)
  assert.match(err.message, /SASL authentication failed \(SCRAM-SHA-512 as sluice\)/)
  assert.ok(ms < timeoutMs + 500, `took ${ms} ms`)
  assert.ok(!JSON.stringify({ message: err.message, stack: err.stack, cause: String(err.cause) }).includes(wrong))
})

test('a SASL mechanism the listener does not enable stops with SLUICE_ERR_KAFKA_AUTHENTICATION naming it', async () => {
  // The SASL_PLAINTEXT listener enables PLAIN only.
  const section = { ...broker.configs.saslPlaintext(), sasl: { mechanism: 'SCRAM-SHA-512', username: 'sluice', password_file: broker.security.scramUser.passwordFile } }
  const { err, ms } = await probe(section)
  assert.equal(err?.code, 'SLUICE_ERR_KAFKA_AUTHENTICATION', err?.message)
  assert.match(err.message, /does not enable the SASL mechanism SCRAM-SHA-512/)
  assert.ok(ms < timeoutMs + 500, `took ${ms} ms`)
})

test('a broker certificate signed by a CA the client does not trust stops with SLUICE_ERR_KAFKA_TLS', async () => {
  const section = { ...broker.configs.scram(), ssl: { ca_file: await makeUntrustedCa(broker.dir) } }
  const { err, ms } = await probe(section)
  assert.equal(err?.code, 'SLUICE_ERR_KAFKA_TLS', err?.message)
  assert.match(err.message, /not signed by a CA of kafka\.ssl\.ca_file/)
  assert.ok(ms < timeoutMs + 500, `took ${ms} ms`)
})

test('an expired broker certificate stops with SLUICE_ERR_KAFKA_TLS; kafka.ssl.verify: false lets it through, with one warning', async () => {
  const expired = { brokers: [broker.security.expiredSsl!], ssl: { ca_file: broker.security.caFile } }
  const { err, ms } = await probe(expired)
  assert.equal(err?.code, 'SLUICE_ERR_KAFKA_TLS', err?.message)
  assert.match(err.message, /certificate has expired/)
  assert.ok(ms < timeoutMs + 500, `took ${ms} ms`)

  const lines: string[] = []
  securityOf({ ...expired, ssl: { verify: false } }, lines)
  assert.equal(lines.filter((line) => line.includes('verification is off')).length, 1)
  assert.equal((await probe({ ...expired, ssl: { verify: false } })).err, undefined)
})

test('the mutual-TLS listener refuses a client without a certificate with SLUICE_ERR_KAFKA_TLS', async () => {
  const { err } = await probe({ brokers: [broker.security.ssl], ssl: { ca_file: broker.security.caFile } })
  assert.equal(err?.code, 'SLUICE_ERR_KAFKA_TLS', err?.message)
  assert.match(err.message, /client certificate/)
})

test('plaintext against a TLS listener, and TLS against a plaintext one, stop with SLUICE_ERR_KAFKA_PROTOCOL_MISMATCH within the timeout', async () => {
  for (const section of [{ brokers: [broker.security.saslSsl] }, { brokers: [broker.security.ssl] }, { brokers: [broker.plaintext], ssl: { ca_file: broker.security.caFile } }]) {
    const { err, ms } = await probe(section)
    assert.equal(err?.code, 'SLUICE_ERR_KAFKA_PROTOCOL_MISMATCH', `${JSON.stringify(section)}: ${err?.message}`)
    assert.ok(ms < timeoutMs + 500, `took ${ms} ms`)
  }
})

test('startup\'s check stops on a refusal and lets an unreachable cluster by', async () => {
  const wrong = broker.configs.scram('SCRAM-SHA-512', await writeSecret(broker.dir, 'wrong2.password', 'nope'))
  await assert.rejects(checkKafkaAccess({ brokers: wrong.brokers, clientId: 't', timeoutMs, security: securityOf(wrong), logger: testLogger() }), { code: 'SLUICE_ERR_KAFKA_AUTHENTICATION' })
  await checkKafkaAccess({ brokers: ['127.0.0.1:1'], clientId: 't', timeoutMs, security: securityOf(broker.configs.scram()), logger: testLogger() })
})

test('a producer whose credentials stop working is not ready within seconds, and ready again once they work', async () => {
  const section = broker.configs.scram()
  const lines: string[] = []
  const producer = createEventProducer({ brokers: section.brokers, clientId: 'security-test', security: securityOf(section), healthCheckIntervalMs: 200, healthCheckTimeoutMs: 1000, logger: testLogger(lines) })
  try {
    producer.monitor()
    await waitFor('the producer to be ready', () => producer.isReady(), 15000)
    await broker.setScramPassword(`rotated-${randomUUID()}`)
    // The listener re-authenticates every 3 s (connections.max.reauth.ms): the probe's connection
    // fails then, and every new one is refused.
    const notReadyAfter = await waitFor('the producer to go not ready', () => !producer.isReady(), 15000)
    assert.ok(notReadyAfter < 10000, `not ready after ${notReadyAfter} ms`)
    assert.ok(lines.some((line) => line.includes('Kafka not reachable') && line.includes('SASL authentication failed')), 'the log says why')
    await broker.setScramPassword(broker.scramPassword)
    await waitFor('the producer to be ready again', () => producer.isReady(), 15000)
  } finally {
    await broker.setScramPassword(broker.scramPassword)
    await producer.close()
  }
})

test('MirrorMaker 2 copies from a SASL_SSL cluster with the same settings, its secrets only in its environment', async () => {
  const source = broker.configs.scram()
  const topic = `eqiad.secured-${randomUUID().slice(0, 8)}`
  const producer = createEventProducer({ brokers: source.brokers, clientId: 'security-test', security: securityOf(source), logger: testLogger() })
  try {
    await producer.connect()
    await producer.send([{ topic, key: 'k', value: 'mirrored over SASL_SSL' }])
  } finally {
    await producer.close()
  }
  const workDir = join(broker.dir, 'mirror')
  const mirror = await startMirror({
    from: { name: 'eqiad', bootstrap: source.brokers[0]!, security: { ...source, cwd: broker.dir } as never },
    to: { name: 'codfw', bootstrap: requireBrokers()[0]! },
    topics: topic.replace(/[.-]/g, '\\$&'),
    workDir,
    refreshTopicsSeconds: 1,
    onOutput: () => {}
  })
  try {
    const [copy] = await readMessages(topic, 1, { timeoutMs: 60000 })
    assert.equal(copy?.value, 'mirrored over SASL_SSL')
  } finally {
    await mirror.stop(5000)
  }
  for (const file of await readdir(workDir)) {
    if (file.endsWith('.properties')) assert.ok(!(await readFile(join(workDir, file), 'utf8')).includes(broker.scramPassword), `${file} holds no password`)
  }
})

test('sluice kafka start --security names the secured listeners, and its ready-made kafka sections work with sluice kafka tail --config', async () => {
  const dataDir = join(broker.dir, 'kafka')
  const port = broker.plaintext.split(':')[1]!
  const start = captureIO({}, broker.dir)
  // The broker already runs on the data dir: the command says so, with its listeners.
  assert.equal(await runKafkaCommand(['start', '--security', '--data-dir', dataDir, '--port', port], start.io), 0, start.err())
  assert.equal(start.out(), `${broker.plaintext}\n`)
  for (const address of [broker.security.ssl, broker.security.saslSsl, broker.security.saslPlaintext]) assert.match(start.err(), new RegExp(address.replaceAll('.', '\\.')))
  assert.match(start.err(), /client-\{ssl,sasl-ssl,sasl-plaintext\}\.yaml/)
  for (const file of ['client-ssl.yaml', 'client-sasl-ssl.yaml', 'client-sasl-plaintext.yaml']) {
    const section = (yaml.load(await readFile(join(broker.security.dir, file), 'utf8')) as { kafka: KafkaSection }).kafka
    const topic = await produceOne(section, `via ${file}`)
    if (file !== 'client-sasl-ssl.yaml') {
      assert.deepEqual((await fetchTopicOffsets(section.brokers, topic, { security: securityOf(section) })).map((p) => p.high), ['1'], file)
      continue
    }
    const tail = captureIO({}, broker.dir)
    assert.equal(await runKafkaCommand(['tail', topic, '--config', join(broker.security.dir, file), '--from-beginning', '--max', '1'], tail.io), 0, tail.err())
    assert.equal(tail.out(), `via ${file}\n`)
  }
})
