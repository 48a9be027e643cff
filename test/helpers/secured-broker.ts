import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConnectionPool, alterUserScramCredentialsV0 } from '@platformatic/kafka'
import { openssl, startLocalBroker, stopLocalBroker } from '../../src/local-kafka/index.js'
import type { LocalBrokerSecurity } from '../../src/local-kafka/index.js'
import { testKafkaVersion, testTmpDir } from './kafka.js'

/**
 * A broker with the listeners production clusters use (`sluice kafka start --security`): mutual
 * TLS, SASL_SSL with SCRAM users created when its storage was formatted, SASL_PLAINTEXT with
 * PLAIN, and a TLS listener whose certificate expired. One per test file: it costs a storage
 * format and a broker start (a few seconds).
 */
export interface SecuredBroker {
  /** The PLAINTEXT listener, for tools and for checking what was written. */
  plaintext: string
  security: LocalBrokerSecurity
  /** A temporary directory of the test file's own (tokens, other CAs, passwords). */
  dir: string
  /** `kafka` sections for each listener, as a service's config file has them. */
  configs: {
    mtls(): KafkaSection
    scram(mechanism?: 'SCRAM-SHA-512' | 'SCRAM-SHA-256', passwordFile?: string): KafkaSection
    saslSslPlain(): KafkaSection
    saslPlaintext(): KafkaSection
    oauth(tokenFile: string): KafkaSection
  }
  /** Changes the SCRAM user's password at run time (the Admin API's AlterUserScramCredentials), both mechanisms. */
  setScramPassword(password: string): Promise<void>
  /** The SCRAM user's password as formatted into the storage. */
  scramPassword: string
}

export interface KafkaSection {
  brokers: string[]
  ssl?: Record<string, unknown>
  sasl?: Record<string, unknown>
}

export async function startSecuredBroker (t: { after: (fn: () => Promise<void>) => void }, options: { reauthenticateMs?: number } = {}): Promise<SecuredBroker> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-secured-'))
  const dataDir = join(dir, 'kafka')
  const broker = await startLocalBroker({
    port: 0,
    dataDir,
    version: testKafkaVersion(),
    security: { expiredCertificateListener: true, reauthenticateMs: options.reauthenticateMs ?? 3000 }
  })
  t.after(async () => {
    await stopLocalBroker(dataDir, { timeoutMs: 5000 })
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
  })
  const security = broker.security!
  const scramPassword = (await readFile(security.scramUser.passwordFile, 'utf8')).trim()
  return {
    plaintext: broker.bootstrap,
    security,
    dir,
    scramPassword,
    configs: {
      mtls: () => ({ brokers: [security.ssl], ssl: { ca_file: security.caFile, cert_file: security.clientCertFile, key_file: security.clientKeyFile } }),
      scram: (mechanism = 'SCRAM-SHA-512', passwordFile = security.scramUser.passwordFile) => ({
        brokers: [security.saslSsl],
        ssl: { ca_file: security.caFile },
        sasl: { mechanism, username: security.scramUser.username, password_file: passwordFile }
      }),
      saslSslPlain: () => ({ brokers: [security.saslSsl], ssl: { ca_file: security.caFile }, sasl: { mechanism: 'PLAIN', username: security.plainUser.username, password_file: security.plainUser.passwordFile } }),
      saslPlaintext: () => ({ brokers: [security.saslPlaintext], sasl: { mechanism: 'PLAIN', username: security.plainUser.username, password_file: security.plainUser.passwordFile } }),
      oauth: (tokenFile) => ({ brokers: [security.saslSsl], ssl: { ca_file: security.caFile }, sasl: { mechanism: 'OAUTHBEARER', token_file: tokenFile } })
    },
    setScramPassword: async (password) => { await setScramPassword(broker.bootstrap, security.scramUser.username, password) }
  }
}

async function setScramPassword (bootstrap: string, username: string, password: string): Promise<void> {
  const [host, port] = bootstrap.split(':') as [string, string]
  const pool = new ConnectionPool('test-scram-admin')
  try {
    const connection = await pool.get({ host, port: Number(port) })
    // Mechanism 1 is SCRAM-SHA-256, 2 SCRAM-SHA-512 (the protocol's numbering).
    // One request per mechanism: a request may name a user once.
    for (const [mechanism, digest, length] of [[1, 'sha256', 32], [2, 'sha512', 64]] as const) {
      const salt = randomBytes(24)
      await alterUserScramCredentialsV0.api.async(connection, [], [{ name: username, mechanism, iterations: 4096, salt, saltedPassword: pbkdf2Sync(password, salt, 4096, length, digest) }])
    }
  } finally {
    await pool.close()
  }
}

/**
 * An OAUTHBEARER token the development broker accepts: unsigned (alg "none"), checked for its
 * subject and expiry only. `expiresInSeconds` may be negative (an expired token).
 */
export function unsignedToken (subject: string, expiresInSeconds: number): string {
  const now = Math.floor(Date.now() / 1000)
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part({ sub: subject, iat: now - 60, exp: now + expiresInSeconds })}.`
}

/** A CA of its own that signed nothing the broker presents: a client trusting only it must refuse the broker. */
export async function makeUntrustedCa (dir: string): Promise<string> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'untrusted-ca.key', '-out', 'untrusted-ca.crt', '-days', '2', '-subj', '/CN=Untrusted CA'])
  return join(dir, 'untrusted-ca.crt')
}

/** Writes `content` to a new file of `dir`. */
export async function writeSecret (dir: string, name: string, content: string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, content, { mode: 0o600 })
  return file
}
