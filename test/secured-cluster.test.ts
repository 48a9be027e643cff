import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { request } from 'undici'
import { runChangepropCommand } from '../src/cli/changeprop.js'
import { runGatewayCommand } from '../src/cli/gateway.js'
import { runKafkaCommand } from '../src/cli/kafka.js'
import { runStreamsCommand } from '../src/cli/streams.js'
import { runUpCommand } from '../src/cli/up.js'
import { createChangeprop, loadChangepropConfig } from '../src/changeprop/index.js'
import { createGateway } from '../src/gateway/index.js'
import { createEventProducer, resolveKafkaSecurity } from '../src/kafka/index.js'
import type { KafkaSecurityConfig } from '../src/kafka/index.js'
import { createStreams, loadStreamsConfig } from '../src/streams/index.js'
import { fixturesDir, listen, testGatewayConfig } from './helpers/gateway.js'
import { captureIO } from './helpers/io.js'
import { testLogger } from './helpers/logger.js'
import { startSecuredBroker, writeSecret } from './helpers/secured-broker.js'
import type { SecuredBroker } from './helpers/secured-broker.js'
import { openStream } from './helpers/sse.js'
import { waitFor } from './helpers/wait.js'
import { startSink } from './changeprop/helpers/sink.js'

// The platform on a secured cluster, as production runs it: the gateway, change propagation and
// the stream service each reach the broker over TLS with SCRAM-SHA-512 (passwords from a file
// and from the environment, a client certificate loaded too), the secrets never show in a log
// line, /_info, /metrics or an error, credentials that stop working make every service not
// ready until they work again, and a service the cluster refuses does not start. One secured
// broker serves the whole file.

const cleanups: Array<() => Promise<void>> = []
let broker: SecuredBroker
before(async () => { broker = await startSecuredBroker({ after: (fn: () => Promise<void>) => { cleanups.push(fn) } }) })
after(async () => { for (const fn of cleanups.reverse()) await fn() })

const event = (test: string): Record<string, unknown> => ({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event', dt: new Date().toISOString() }, test })
const fast = { health_check_interval_ms: 200, health_check_timeout_ms: 1000 }

interface Platform {
  gateway: string
  changeprop: string
  streams: string
  lines: string[]
  prefix: string
  sinkRequests: () => number
}

/** The three services on the secured broker, each with its own way of reading the secret. */
async function startPlatform (t: { after: (fn: () => Promise<void>) => void }): Promise<Platform> {
  const prefix = `sec${randomUUID().slice(0, 8)}.`
  const lines: string[] = []
  const logger = testLogger(lines)
  const scram = broker.configs.scram()
  const sink = await startSink()
  t.after(async () => { await sink.close() })

  // Change propagation first: it creates the topics the others use. Its password comes from the environment.
  const env = { SLUICE_TEST_KAFKA_PASSWORD: broker.scramPassword }
  const changepropConfig = await loadChangepropConfig(undefined, env, {
    service_name: `cp${randomUUID().slice(0, 8)}`,
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    shutdown_timeout_ms: 2000,
    kafka: {
      ...fast,
      brokers: scram.brokers,
      ssl: scram.ssl,
      sasl: { mechanism: 'SCRAM-SHA-512', username: broker.security.scramUser.username, password_env: 'SLUICE_TEST_KAFKA_PASSWORD' },
      from_beginning: true,
      commit_interval_ms: 20,
      heartbeat_interval_ms: 500
    },
    rules: { on_event: { topic: 'test.event', exec: { uri: `${sink.origin}/changed/{{message.test}}` } } }
  })
  const changeprop = await createChangeprop(changepropConfig, { cwd: broker.dir, logger, env })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()

  const streamConfig = join(broker.dir, `streams-${prefix}yaml`)
  await writeFile(streamConfig, yaml.dump({ 'test.event': { schema_title: 'test/event', topics: [`${prefix}test.event`] } }))
  const streamsConfig = await loadStreamsConfig(undefined, {}, {
    port: 0,
    listen_address: '127.0.0.1',
    stream_config_uri: streamConfig,
    shutdown_grace_ms: 2000,
    kafka: { ...fast, brokers: scram.brokers, ssl: scram.ssl, sasl: scram.sasl, fetch_max_wait_ms: 100 }
  })
  const streams = await createStreams(streamsConfig, { cwd: broker.dir, logger })
  t.after(async () => { await streams.close() })
  await streams.start()

  // The gateway also loads a client certificate and key (the SASL_SSL listener does not ask for
  // them): key material in the process that must not leak either.
  const mtls = broker.configs.mtls()
  const gateway = await createGateway(testGatewayConfig({
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: prefix,
    kafka: { ...fast, brokers: scram.brokers, ssl: { ...scram.ssl, cert_file: mtls.ssl!.cert_file, key_file: mtls.ssl!.key_file }, sasl: scram.sasl }
  }), { cwd: fixturesDir, logger })
  t.after(async () => { await gateway.close() })
  const gatewayUrl = await listen(gateway)
  await waitFor('the gateway to be ready', async () => (await get(`${gatewayUrl}/readyz`)).status === 200, 20000)
  return { gateway: gatewayUrl, changeprop: `http://127.0.0.1:${String(changeprop.port)}`, streams: streams.url!, lines, prefix, sinkRequests: () => sink.requests.length }
}

async function get (url: string): Promise<{ status: number, body: string }> {
  const res = await request(url)
  return { status: res.statusCode, body: await res.body.text() }
}

async function post (url: string, body: unknown): Promise<{ status: number, body: string }> {
  const res = await request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.statusCode, body: await res.body.text() }
}

/** What must never appear: the password, and the client key's body. */
async function secrets (): Promise<string[]> {
  const key = await readFile(broker.security.clientKeyFile, 'utf8')
  const keyLines = key.split('\n').filter((line) => line !== '' && !line.startsWith('-----'))
  return [broker.scramPassword, ...keyLines]
}

test('an event posted to the gateway over TLS and SCRAM reaches change propagation and a stream client, and no secret shows in any log line, /_info or /metrics', async (t) => {
  const platform = await startPlatform(t)
  const client = await openStream(`${platform.streams}/v2/stream/test.event`)
  t.after(() => { client.close() })
  assert.equal(client.status, 200)
  const marker = `secured-${randomUUID().slice(0, 8)}`
  const res = await post(platform.gateway, event(marker))
  assert.equal(res.status, 201, res.body)
  await client.waitForMessages(1, 20000)
  assert.equal(client.messages()[0]?.test, marker)
  await waitFor('change propagation to call the sink', () => platform.sinkRequests() >= 1, 20000)

  const pages: string[] = []
  for (const base of [platform.gateway, platform.changeprop, platform.streams]) {
    for (const path of ['/_info', '/metrics', '/readyz']) pages.push(`${base}${path}: ${(await get(`${base}${path}`)).body}`)
  }
  assert.ok(platform.lines.length > 10, 'the services logged (debug level)')
  assert.ok(platform.lines.some((line) => line.includes('connected to Kafka')), 'the log says it connected')
  for (const secret of await secrets()) {
    assert.deepEqual(platform.lines.filter((line) => line.includes(secret)), [], 'no log line holds a secret')
    assert.deepEqual(pages.filter((page) => page.includes(secret)), [], 'no page holds a secret')
  }
})

test('credentials that stop working make every service not ready within seconds, and they heal when the credentials work again', async (t) => {
  const platform = await startPlatform(t)
  for (const base of [platform.gateway, platform.changeprop, platform.streams]) {
    await waitFor(`${base} to be ready`, async () => (await get(`${base}/readyz`)).status === 200, 20000)
  }
  const rotated = `rotated-${randomUUID()}`
  await broker.setScramPassword(rotated)
  t.after(async () => { await broker.setScramPassword(broker.scramPassword) })
  // The listener makes connections authenticate again every 3 s; each probe's connection fails then.
  for (const base of [platform.gateway, platform.changeprop, platform.streams]) {
    const ms = await waitFor(`${base} to go not ready`, async () => (await get(`${base}/readyz`)).status === 503, 15000)
    assert.ok(ms < 12000, `${base}: not ready after ${ms} ms`)
  }
  const refused = await post(platform.gateway, event('while refused'))
  assert.equal(refused.status, 503, refused.body)
  assert.ok(!refused.body.includes(broker.scramPassword) && !refused.body.includes(rotated))
  assert.ok(platform.lines.some((line) => line.includes('SLUICE_ERR_KAFKA_AUTHENTICATION')), 'the log names the refusal')

  await broker.setScramPassword(broker.scramPassword)
  for (const base of [platform.gateway, platform.changeprop, platform.streams]) {
    await waitFor(`${base} to be ready again`, async () => (await get(`${base}/readyz`)).status === 200, 20000)
  }
  const accepted = await post(platform.gateway, event('after the heal'))
  assert.equal(accepted.status, 201, accepted.body)
  for (const secret of [...await secrets(), rotated]) {
    assert.deepEqual(platform.lines.filter((line) => line.includes(secret)), [], 'no log line holds a secret')
  }
})

/** Writes a service config file with the given `kafka` section. */
async function configFile (name: string, config: Record<string, unknown>): Promise<string> {
  const file = join(broker.dir, `${name}-${randomUUID().slice(0, 8)}.yaml`)
  await writeFile(file, yaml.dump(config))
  return file
}

test('a service the cluster refuses does not start: the command exits 1 within the timeout, naming the cause and its code, never the secret', async () => {
  const wrong = `wrong-${randomUUID()}`
  const cases: Array<{ run: typeof runGatewayCommand, config: Record<string, unknown>, code: string, cause: RegExp }> = [
    {
      run: runGatewayCommand,
      config: { ...gatewayBase(), kafka: { ...broker.configs.scram('SCRAM-SHA-512', await writeSecret(broker.dir, 'wrong-cli.password', wrong)), ...fast } },
      code: 'SLUICE_ERR_KAFKA_AUTHENTICATION',
      cause: /SASL authentication failed \(SCRAM-SHA-512 as sluice\)/
    },
    {
      run: runStreamsCommand,
      config: { port: 0, listen_address: '127.0.0.1', log_level: 'silent', stream_config_uri: join(fixturesDir, 'stream-config'), kafka: { brokers: [broker.security.saslSsl], ...fast } },
      code: 'SLUICE_ERR_KAFKA_PROTOCOL_MISMATCH',
      cause: /the listener speaks TLS and the client plaintext/
    },
    {
      run: runChangepropCommand,
      config: { port: 0, listen_address: '127.0.0.1', log_level: 'silent', rules: { r: { topic: 'x', exec: { uri: 'http://127.0.0.1:1/' } } }, kafka: { brokers: [broker.security.ssl], ssl: { ca_file: broker.security.caFile }, ...fast } },
      code: 'SLUICE_ERR_KAFKA_TLS',
      cause: /client certificate/
    }
  ]
  for (const { run, config, code, cause } of cases) {
    const cli = captureIO({}, broker.dir)
    const started = Date.now()
    const running = run(['--config', await configFile('refused', config)], cli.io)
    // A service that started anyway would run until stopped: stop it, and fail.
    let timer: NodeJS.Timeout | undefined
    const ranOn = await Promise.race([running.then(() => false), new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(true) }, 10000) })])
    clearTimeout(timer)
    if (ranOn) cli.stop('SIGTERM')
    const exit = await running
    const ms = Date.now() - started
    assert.equal(ranOn, false, `${code}: the service started although the cluster refuses it`)
    assert.equal(exit, 1, cli.err())
    assert.match(cli.err(), new RegExp(`\\[${code}\\]`))
    assert.match(cli.err(), cause)
    assert.ok(!cli.err().includes(wrong) && !cli.out().includes(wrong))
    // health_check_timeout_ms bounds the check; the rest is loading the config and schemas.
    assert.ok(ms < 5000, `${code}: exited after ${ms} ms`)
  }
})

function gatewayBase (): Record<string, unknown> {
  return { port: 0, listen_address: '127.0.0.1', schema_base_uris: [`${fixturesDir}schemas/`], stream_config_uri: `${fixturesDir}stream-config/`, log_level: 'silent' }
}

test('settings that cannot work stop startup before anything connects: a missing password file, an unset variable, an inline password', async () => {
  for (const [sasl, expected] of [
    [{ mechanism: 'SCRAM-SHA-512', username: 'sluice', password_file: 'no-such-file' }, /kafka\.sasl\.password_file: cannot read .*no-such-file \(ENOENT\)/],
    [{ mechanism: 'SCRAM-SHA-512', username: 'sluice', password_env: 'SLUICE_TEST_UNSET_PASSWORD' }, /kafka\.sasl\.password_env: the environment variable SLUICE_TEST_UNSET_PASSWORD is not set/],
    [{ mechanism: 'SCRAM-SHA-512', username: 'sluice', password: 'inline-secret' }, /kafka\.sasl\.password: unknown key/],
    [{ mechanism: 'GSSAPI', username: 'sluice', password_file: broker.security.scramUser.passwordFile }, /kafka\.sasl\.mechanism/]
  ] as const) {
    const cli = captureIO({}, broker.dir)
    const exit = await runGatewayCommand(['--config', await configFile('invalid', { ...gatewayBase(), kafka: { brokers: [broker.security.saslSsl], ssl: { ca_file: broker.security.caFile }, sasl } })], cli.io)
    assert.equal(exit, 1, cli.err())
    assert.match(cli.err(), expected)
    assert.match(cli.err(), /SLUICE_ERR_CONFIG_INVALID|Invalid configuration/)
    assert.ok(!cli.err().includes('inline-secret'))
  }
})

test('sluice kafka tail --config reads a secured cluster with a service\'s kafka section, and names a refusal with its code', async () => {
  const scram = broker.configs.scram()
  const file = await configFile('tail', { kafka: scram })
  const topic = `tail-${randomUUID().slice(0, 8)}`
  const producer = createEventProducer({ brokers: scram.brokers, clientId: 'tail-test', security: resolveKafkaSecurity(scram as KafkaSecurityConfig, { cwd: broker.dir, env: {} }), logger: testLogger() })
  try {
    await producer.connect()
    await producer.send([{ topic, key: null, value: 'tailed over SASL_SSL' }])
  } finally {
    await producer.close()
  }
  const cli = captureIO({}, broker.dir)
  assert.equal(await runKafkaCommand(['tail', topic, '--config', file, '--from-beginning', '--max', '1'], cli.io), 0, cli.err())
  assert.equal(cli.out(), 'tailed over SASL_SSL\n')

  const refused = captureIO({}, broker.dir)
  const plain = await configFile('tail-plain', { kafka: { brokers: scram.brokers } })
  assert.equal(await runKafkaCommand(['tail', topic, '--config', plain, '--max', '1'], refused.io), 1)
  assert.match(refused.err(), /\[SLUICE_ERR_KAFKA_PROTOCOL_MISMATCH\]/)

  // sluice kafka mirror checks each cluster's settings before MirrorMaker starts.
  const mirror = captureIO({}, broker.dir)
  const missing = await configFile('mirror-from', { kafka: { ...scram, sasl: { ...scram.sasl, password_file: 'no-such-password' } } })
  assert.equal(await runKafkaCommand(['mirror', '--from-config', missing, '--to', '127.0.0.1:1', '--datacenter', 'eqiad'], mirror.io), 2)
  assert.match(mirror.err(), /kafka\.sasl\.password_file: cannot read .*no-such-password.*\[SLUICE_ERR_CONFIG_INVALID\]/s)
})

test('sluice up: the gateway config\'s kafka.ssl and kafka.sasl reach the stream service, whose own file sets none', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const scram = broker.configs.scram()
  const prefix = `up${randomUUID().slice(0, 8)}.`
  const gatewayFile = await configFile('up-gateway', {
    port: 8192,
    listen_address: '127.0.0.1',
    log_level: 'silent',
    schema_base_uris: [join(root, 'schemas') + '/'],
    stream_config_uri: join(root, 'stream-config'),
    topic_prefix: prefix,
    kafka: { ...scram, ...fast }
  })
  const streamsFile = await configFile('up-streams', {
    port: 8194,
    listen_address: '127.0.0.1',
    log_level: 'silent',
    stream_config_uri: join(root, 'stream-config'),
    stream_config_defaults: { topic_prefixes: [prefix] },
    kafka: fast
  })
  const offset = 21000 + Math.floor(Math.random() * 90) * 10
  const cli = captureIO({}, root)
  const running = runUpCommand(['--config', gatewayFile, '--streams-config', streamsFile, '--no-changeprop', '--port-offset', String(offset)], cli.io)
  try {
    await waitFor('the platform', () => cli.out().includes('ready; press Ctrl-C') || cli.err() !== '', 60000)
    assert.equal(cli.err(), '')
    const gateway = /^gateway: listening on (\S+)/m.exec(cli.out())![1]!
    const streams = /^streams: listening on (\S+)/m.exec(cli.out())![1]!
    const since = Date.now() - 1000
    const marker = `up-${randomUUID().slice(0, 8)}`
    // The repository's /test/event/1.0.0 (not the fixtures'): dt at the top level.
    const posted = await post(gateway, { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: new Date().toISOString(), test: marker })
    assert.equal(posted.status, 201, posted.body)
    const client = await openStream(`${streams}/v2/stream/test.event?since=${since}`)
    try {
      assert.equal(client.status, 200)
      await client.waitForMessages(1, 20000)
      assert.equal(client.messages()[0]?.test, marker)
    } finally {
      client.close()
    }
  } finally {
    cli.stop('SIGTERM')
    assert.equal(await running, 0, cli.err())
  }
})
