import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mirrorSecurityProperties } from '../../src/local-kafka/mirror-security.js'
import { mirrorProperties } from '../../src/local-kafka/index.js'
import { testTmpDir } from '../helpers/kafka.js'

// What MirrorMaker 2 gets from a cluster's kafka.ssl and kafka.sasl: the Java client's settings,
// with every secret moved into MirrorMaker's environment and referred to as ${env:NAME}.

async function scratch (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-mirror-security-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'password'), 'mirror-secret\n')
  await writeFile(join(dir, 'client.crt'), '-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n')
  await writeFile(join(dir, 'client.key'), '-----BEGIN PRIVATE KEY-----\nkey-secret\n-----END PRIVATE KEY-----\n')
  await writeFile(join(dir, 'passphrase'), 'key-passphrase')
  return dir
}

test('a plaintext cluster gets no security lines and no config provider', () => {
  const text = mirrorProperties({ from: { name: 'eqiad', bootstrap: 'k1:9092' }, to: { name: 'codfw', bootstrap: 'k2:9092' }, workDir: '/tmp' })
  assert.doesNotMatch(text, /security\.protocol|config\.providers/)
})

test('SASL_SSL with SCRAM: truststore, mechanism and a JAAS line whose password is an ${env:…} reference', async (t) => {
  const dir = await scratch(t)
  const props = mirrorSecurityProperties('eqiad', { cwd: dir, ssl: { ca_file: 'ca.crt' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'mirror', password_file: 'password' } })
  assert.deepEqual(props.lines, [
    'eqiad.security.protocol = SASL_SSL',
    'eqiad.ssl.truststore.type = PEM',
    `eqiad.ssl.truststore.location = ${join(dir, 'ca.crt')}`,
    'eqiad.sasl.mechanism = SCRAM-SHA-512',
    'eqiad.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="mirror" password="${env:SLUICE_MIRROR_EQIAD_PASSWORD}";'
  ])
  assert.deepEqual(props.env, { SLUICE_MIRROR_EQIAD_PASSWORD: 'mirror-secret' })
})

test('mutual TLS: the certificate, key and passphrase go through the environment, never into the file', async (t) => {
  const dir = await scratch(t)
  const cluster = { cwd: dir, ssl: { ca_file: 'ca.crt', cert_file: 'client.crt', key_file: 'client.key', key_passphrase_file: 'passphrase' } }
  const props = mirrorSecurityProperties('codfw', cluster)
  assert.ok(props.lines.includes('codfw.security.protocol = SSL'))
  assert.ok(props.lines.includes('codfw.ssl.keystore.type = PEM'))
  assert.ok(props.lines.includes('codfw.ssl.keystore.key = ${env:SLUICE_MIRROR_CODFW_KEY}'))
  assert.ok(props.lines.includes('codfw.ssl.keystore.certificate.chain = ${env:SLUICE_MIRROR_CODFW_CERT}'))
  assert.ok(props.lines.includes('codfw.ssl.key.password = ${env:SLUICE_MIRROR_CODFW_KEY_PASSPHRASE}'))
  assert.match(props.env.SLUICE_MIRROR_CODFW_KEY!, /key-secret/)
  const text = mirrorProperties({ from: { name: 'eqiad', bootstrap: 'k1:9092' }, to: { name: 'codfw', bootstrap: 'k2:9093', security: cluster }, workDir: dir })
  for (const line of props.lines) assert.ok(text.split('\n').includes(line), `the properties file has: ${line}`)
  assert.match(text, /^config\.providers = env$/m)
  assert.match(text, /^config\.providers\.env\.class = org\.apache\.kafka\.common\.config\.provider\.EnvVarConfigProvider$/m)
  for (const secret of ['key-secret', 'key-passphrase', 'mirror-secret']) assert.ok(!text.includes(secret), secret)
})

test('a password from the environment is referred to by its own name; PLAIN without TLS; verify: false turns off the host name check', async (t) => {
  const dir = await scratch(t)
  const plain = mirrorSecurityProperties('a', { cwd: dir, sasl: { mechanism: 'PLAIN', username: 'u"q', password_env: 'KAFKA_PASSWORD' } })
  assert.deepEqual(plain.lines, [
    'a.security.protocol = SASL_PLAINTEXT',
    'a.sasl.mechanism = PLAIN',
    'a.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="u\\"q" password="${env:KAFKA_PASSWORD}";'
  ])
  assert.deepEqual(plain.env, {})
  assert.ok(mirrorSecurityProperties('b', { cwd: dir, ssl: { verify: false } }).lines.includes('b.ssl.endpoint.identification.algorithm = '))
})

test('OAUTHBEARER: the token file is the Java client\'s file: token endpoint, allowed for the JVM', async (t) => {
  const dir = await scratch(t)
  const props = mirrorSecurityProperties('eqiad', { cwd: dir, ssl: {}, sasl: { mechanism: 'OAUTHBEARER', token_file: 'token' } })
  assert.ok(props.lines.includes(`eqiad.sasl.oauthbearer.token.endpoint.url = file://${join(dir, 'token')}`))
  assert.ok(props.lines.includes('eqiad.sasl.login.callback.handler.class = org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler'))
  assert.deepEqual(props.jvmProperties, [`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://${join(dir, 'token')}`])
})

test('an unreadable secret file is a config error naming the key', async (t) => {
  const dir = await scratch(t)
  assert.throws(() => mirrorSecurityProperties('eqiad', { cwd: dir, sasl: { mechanism: 'PLAIN', username: 'u', password_file: 'missing' } }), /kafka\.sasl\.password_file: cannot read .*missing \(ENOENT\)/)
})
