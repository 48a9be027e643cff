import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { validateConfig } from '../../src/config/load.js'
import { kafkaClientOptions, kafkaSecuritySchema, resolveKafkaSecurity } from '../../src/kafka/index.js'
import type { KafkaSecurityConfig } from '../../src/kafka/index.js'
import { openssl } from '../../src/local-kafka/index.js'
import { testTmpDir } from '../helpers/kafka.js'
import { testLogger } from '../helpers/logger.js'

// kafka.ssl and kafka.sasl as every service's config takes them, and what they become for the
// client: files read and checked at startup, secrets read when the client authenticates, and
// nothing secret in what can be logged.

const schema = { type: 'object', additionalProperties: false, properties: kafkaSecuritySchema } as const

async function scratch (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-security-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A CA and a client certificate with its key, the key encrypted with `passphrase` when given. */
async function certificates (dir: string, passphrase?: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test CA'])
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', ...(passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${passphrase}`]), '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=client'])
  await openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2'])
}

function resolved (config: unknown, dir: string, env: NodeJS.ProcessEnv = {}, lines?: string[]): ReturnType<typeof resolveKafkaSecurity> {
  return resolveKafkaSecurity(validateConfig(config, schema, 'test') as KafkaSecurityConfig, { cwd: dir, env, logger: testLogger(lines), source: 'test.yaml' })
}

function problems (config: unknown, dir: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolved(config, dir, env)
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'SLUICE_ERR_CONFIG_INVALID')
    return (err as Error).message
  }
  return assert.fail('expected SLUICE_ERR_CONFIG_INVALID')
}

test('no ssl and no sasl is plaintext: nothing is added to the client options', async (t) => {
  assert.equal(resolved({}, await scratch(t)), undefined)
  const options = kafkaClientOptions({ brokers: ['k:9092'], clientId: 'c' })
  assert.equal('tls' in options || 'sasl' in options, false)
})

test('the password is read from its file at each authentication (a rotated secret is used next time), never kept in the options', async (t) => {
  const dir = await scratch(t)
  await writeFile(join(dir, 'password'), 'first-secret\n')
  const security = resolved({ ssl: {}, sasl: { mechanism: 'SCRAM-SHA-512', username: 'sluice', password_file: 'password' } }, dir)!
  const sasl = security.clientOptions().sasl!
  assert.equal(sasl.username, 'sluice')
  assert.equal(typeof sasl.password, 'function', 'a reader, not the secret')
  assert.equal(await (sasl.password as () => Promise<string>)(), 'first-secret')
  await writeFile(join(dir, 'password'), 'second-secret')
  assert.equal(await (sasl.password as () => Promise<string>)(), 'second-secret')
  assert.equal(security.description, 'SASL_SSL (SCRAM-SHA-512 as sluice)')
  // What logs and /_info could ever show of it: the description.
  for (const shown of [JSON.stringify({ security }), inspect(security), String(security), JSON.stringify(kafkaClientOptions({ brokers: ['k:9092'], clientId: 'c', security }))]) {
    assert.ok(!shown.includes('first-secret') && !shown.includes('second-secret'), shown)
  }
})

test('the password from an environment variable; the variable must be set', async (t) => {
  const dir = await scratch(t)
  const security = resolved({ sasl: { mechanism: 'PLAIN', username: 'u', password_env: 'KAFKA_PASSWORD' } }, dir, { KAFKA_PASSWORD: 'env-secret' })!
  assert.equal(await (security.clientOptions().sasl!.password as () => string)(), 'env-secret')
  assert.equal(security.description, 'SASL_PLAINTEXT (PLAIN as u)')
  assert.match(problems({ sasl: { mechanism: 'PLAIN', username: 'u', password_env: 'KAFKA_PASSWORD' } }, dir), /kafka\.sasl\.password_env: the environment variable KAFKA_PASSWORD is not set/)
})

test('PLAIN without TLS is allowed with a warning; turning certificate checks off warns once', async (t) => {
  const dir = await scratch(t)
  const lines: string[] = []
  resolved({ sasl: { mechanism: 'PLAIN', username: 'u', password_env: 'P' } }, dir, { P: 'x' }, lines)
  resolved({ ssl: { verify: false } }, dir, {}, lines)
  assert.equal(lines.filter((line) => line.includes('clear text')).length, 1)
  assert.equal(lines.filter((line) => line.includes('verification is off')).length, 1)
  assert.equal(resolved({ ssl: { verify: false } }, dir)!.clientOptions().tls!.rejectUnauthorized, false)
  assert.equal(resolved({ ssl: {} }, dir)!.clientOptions().tls!.rejectUnauthorized, true)
})

test('a secret never sits inline in the config: there is no password or token key', async (t) => {
  const dir = await scratch(t)
  assert.throws(() => resolved({ sasl: { mechanism: 'PLAIN', username: 'u', password: 'inline' } }, dir), /kafka\.sasl\.password: unknown key|sasl\.password: unknown key/)
  assert.throws(() => resolved({ sasl: { mechanism: 'OAUTHBEARER', token: 'inline' } }, dir), /token: unknown key/)
  assert.throws(() => resolved({ sasl: { mechanism: 'GSSAPI', username: 'u', password_env: 'P' } }, dir), /mechanism/)
})

test('each settings mistake is named by its key, all at once', async (t) => {
  const dir = await scratch(t)
  assert.match(problems({ sasl: { mechanism: 'SCRAM-SHA-256', password_file: 'nope' } }, dir), /kafka\.sasl\.username: SCRAM-SHA-256 needs a username/)
  assert.match(problems({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'u' } }, dir), /give the password as password_file or password_env \(exactly one; never inline\)/)
  assert.match(problems({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password_file: 'a', password_env: 'B' } }, dir), /exactly one/)
  assert.match(problems({ sasl: { mechanism: 'OAUTHBEARER' } }, dir), /kafka\.sasl\.token_file: OAUTHBEARER needs a token file/)
  assert.match(problems({ sasl: { mechanism: 'OAUTHBEARER', token_file: 't', username: 'u' } }, dir), /kafka\.sasl\.username: not used with OAUTHBEARER/)
  const message = problems({ ssl: { ca_file: 'no-ca.pem', cert_file: 'no-cert.pem' }, sasl: { mechanism: 'PLAIN', username: 'u', password_file: 'no-password' } }, dir)
  assert.match(message, /Invalid configuration in test\.yaml/)
  assert.match(message, /kafka\.ssl\.ca_file: cannot read .*no-ca\.pem \(ENOENT\)/)
  assert.match(message, /kafka\.ssl: cert_file and key_file go together/)
  assert.match(message, /kafka\.sasl\.password_file: cannot read .*no-password \(ENOENT\)/)
})

test('mutual TLS: the certificate and its key are checked at startup, an encrypted key with its passphrase', async (t) => {
  const dir = await scratch(t)
  await certificates(dir, 'key-secret')
  await writeFile(join(dir, 'passphrase'), 'key-secret\n')
  const ok = resolved({ ssl: { ca_file: 'ca.crt', cert_file: 'client.crt', key_file: 'client.key', key_passphrase_file: 'passphrase', server_name: 'kafka.example.org' } }, dir)!
  assert.equal(ok.description, 'SSL (client certificate)')
  assert.equal(ok.clientOptions().tlsServerName, 'kafka.example.org')
  assert.equal(ok.clientOptions().tls!.passphrase, 'key-secret')
  assert.ok(!JSON.stringify({ ok }).includes('key-secret') && !inspect(ok).includes('BEGIN'))

  await writeFile(join(dir, 'wrong'), 'not-the-passphrase')
  const wrong = problems({ ssl: { ca_file: 'ca.crt', cert_file: 'client.crt', key_file: 'client.key', key_passphrase_file: 'wrong' } }, dir)
  assert.match(wrong, /kafka\.ssl: the certificate files cannot be used/)
  assert.ok(!wrong.includes('not-the-passphrase') && !wrong.includes('BEGIN'))
  assert.match(problems({ ssl: { ca_file: 'ca.crt', cert_file: 'client.crt', key_file: 'client.key' } }, dir), /kafka\.ssl: the certificate files cannot be used/)
  // A certificate with another certificate's key.
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'other.key', '-out', 'other.csr', '-subj', '/CN=other'])
  assert.match(problems({ ssl: { cert_file: 'client.crt', key_file: 'other.key' } }, dir), /kafka\.ssl: the certificate files cannot be used/)
})

test('OAUTHBEARER reads its token file when the client authenticates, again after the file changed', async (t) => {
  const dir = await scratch(t)
  await writeFile(join(dir, 'token'), 'token-one\n')
  const security = resolved({ ssl: {}, sasl: { mechanism: 'OAUTHBEARER', token_file: 'token' } }, dir)!
  const token = security.clientOptions().sasl!.token as () => Promise<string>
  assert.equal(await token(), 'token-one')
  await writeFile(join(dir, 'token'), 'token-two, longer')
  assert.equal(await token(), 'token-two, longer')
  assert.equal(security.description, 'SASL_SSL (OAUTHBEARER)')
  const refuse = security.clientOptions().sasl!.authBytesValidator!
  await new Promise<void>((resolve) => {
    refuse(Buffer.from('{"status":"invalid_token"}'), (err) => { assert.match(String(err), /refused the token \(invalid_token\)/); resolve() })
  })
  await new Promise<void>((resolve) => {
    refuse(Buffer.alloc(0), (err) => { assert.equal(err, null); resolve() })
  })
})
