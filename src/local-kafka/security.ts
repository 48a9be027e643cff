import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { OpensslMissingError, SecurityMaterialError } from './errors.js'

// The secured listeners of the local broker (`sluice kafka start --security`, the tests): a CA, a
// broker certificate and a client certificate made with openssl when the data directory is new,
// SCRAM users written into the storage when it is formatted, and the listeners production
// clusters use. Kafka reads the PEM files directly (ssl.keystore.type=PEM), so no keystore tool
// and no second JVM start is needed for them.

/** A SASL user of the local broker; the password sits in a file of its own (mode 0600). */
export interface LocalKafkaUser {
  username: string
  passwordFile: string
}

export interface LocalBrokerSecurity {
  /** TLS with a client certificate required (mutual TLS). */
  ssl: string
  /** SASL over TLS: SCRAM-SHA-512, SCRAM-SHA-256, PLAIN, and OAUTHBEARER with unsigned tokens (development only). */
  saslSsl: string
  /** SASL PLAIN without TLS. */
  saslPlaintext: string
  /** TLS presenting an expired certificate (only when asked for). */
  expiredSsl?: string
  /** Where the certificates, keys, password files and client config snippets are. */
  dir: string
  caFile: string
  clientCertFile: string
  clientKeyFile: string
  /** A SCRAM-SHA-512 and SCRAM-SHA-256 user, created when the storage is formatted. */
  scramUser: LocalKafkaUser
  /** A PLAIN user of both SASL listeners. */
  plainUser: LocalKafkaUser
  /** After this long a SASL_SSL connection must authenticate again (0: never). */
  reauthenticateMs: number
}

export interface BrokerSecurityOptions {
  /** Adds a TLS listener whose certificate expired (tests of certificate checks). */
  expiredCertificateListener?: boolean
  /** `connections.max.reauth.ms` of the SASL_SSL listener. Default 60000; 0 turns re-authentication off. */
  reauthenticateMs?: number
}

/** What the broker's properties and its storage format get from the security setup. */
export interface PreparedSecurity {
  security: LocalBrokerSecurity
  /** Extra `server.properties` lines (listeners are set by the caller from `listeners`). */
  properties: string[]
  /** `name://host:port` of every secured listener, and its security protocol. */
  listeners: Array<{ name: string, address: string, protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT' }>
  /** StorageTool arguments that create the SCRAM users. */
  formatArguments: string[]
}

const SECURITY_DIR = 'security'
const STATE = 'security.json'

/**
 * The certificates, users and listener settings of a secured local broker in `dataDir`: made
 * on first use, kept for later starts on the same directory (same ports, same passwords).
 * `ports` picks a port for each listener of a new setup.
 */
export async function prepareBrokerSecurity (dataDir: string, options: BrokerSecurityOptions, ports: () => Promise<number>): Promise<PreparedSecurity> {
  const dir = join(dataDir, SECURITY_DIR)
  const stateFile = join(dir, STATE)
  let security = await readSecurityState(dataDir)
  if (security !== undefined) {
    if (options.expiredCertificateListener === true && security.expiredSsl === undefined) security.expiredSsl = `127.0.0.1:${await ports()}`
  } else {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await makeCertificates(dir)
    security = {
      ssl: `127.0.0.1:${await ports()}`,
      saslSsl: `127.0.0.1:${await ports()}`,
      saslPlaintext: `127.0.0.1:${await ports()}`,
      ...(options.expiredCertificateListener === true ? { expiredSsl: `127.0.0.1:${await ports()}` } : {}),
      dir,
      caFile: join(dir, 'ca.crt'),
      clientCertFile: join(dir, 'client.crt'),
      clientKeyFile: join(dir, 'client.key'),
      scramUser: await makeUser(dir, 'sluice'),
      plainUser: await makeUser(dir, 'sluice-plain'),
      reauthenticateMs: options.reauthenticateMs ?? 60000
    }
    await writeFile(stateFile, JSON.stringify(security, null, 2) + '\n', { mode: 0o600 })
    await writeClientConfigs(security)
  }
  if (options.expiredCertificateListener === true && !existsSync(join(dir, 'expired-keystore.pem'))) await makeExpiredCertificate(dir)
  const plainPassword = (await readFile(security.plainUser.passwordFile, 'utf8')).trim()
  const scramPassword = (await readFile(security.scramUser.passwordFile, 'utf8')).trim()
  const plainJaas = `org.apache.kafka.common.security.plain.PlainLoginModule required user_${security.plainUser.username}="${plainPassword}";`
  const scramJaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
  const listeners: PreparedSecurity['listeners'] = [
    { name: 'SSL', address: security.ssl, protocol: 'SSL' },
    { name: 'SASL_SSL', address: security.saslSsl, protocol: 'SASL_SSL' },
    { name: 'SASL_PLAINTEXT', address: security.saslPlaintext, protocol: 'SASL_PLAINTEXT' },
    ...(security.expiredSsl === undefined ? [] : [{ name: 'EXPIRED_SSL', address: security.expiredSsl, protocol: 'SSL' as const }])
  ]
  const properties = [
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${join(dir, 'broker-keystore.pem')}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${security.caFile}`,
    'listener.name.ssl.ssl.client.auth=required',
    'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${scramJaas}`,
    `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${scramJaas}`,
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${plainJaas}`,
    // Unsigned tokens (alg "none"), checked only for their expiry: a development broker's OAUTHBEARER.
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
    `listener.name.sasl_ssl.connections.max.reauth.ms=${security.reauthenticateMs}`,
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=${plainJaas}`,
    ...(security.expiredSsl === undefined
      ? []
      : ['listener.name.expired_ssl.ssl.keystore.type=PEM', `listener.name.expired_ssl.ssl.keystore.location=${join(dir, 'expired-keystore.pem')}`])
  ]
  const formatArguments = ['SCRAM-SHA-512', 'SCRAM-SHA-256'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${security.scramUser.username},password=${scramPassword}]`])
  return { security, properties, listeners, formatArguments }
}

/**
 * Moves the secured listener that was to bind `port` to a free one: something else took the
 * port between choosing it and the broker binding it. False when no listener had that port.
 */
export async function moveSecuredListener (dataDir: string, port: number, ports: () => Promise<number>): Promise<boolean> {
  const security = await readSecurityState(dataDir)
  if (security === undefined) return false
  const key = LISTENER_KEYS.find((name) => security[name] === `127.0.0.1:${port}`)
  if (key === undefined) return false
  security[key] = `127.0.0.1:${await ports()}`
  await writeFile(join(dataDir, SECURITY_DIR, STATE), JSON.stringify(security, null, 2) + '\n', { mode: 0o600 })
  await writeClientConfigs(security)
  return true
}

/** The ports the secured listeners of `dataDir` bind, so that no other listener is given one. */
export async function securedListenerPorts (dataDir: string): Promise<number[]> {
  const security = await readSecurityState(dataDir)
  if (security === undefined) return []
  return LISTENER_KEYS.flatMap((key) => security[key] === undefined ? [] : [Number(security[key].split(':')[1])])
}

async function readSecurityState (dataDir: string): Promise<LocalBrokerSecurity | undefined> {
  const stateFile = join(dataDir, SECURITY_DIR, STATE)
  return existsSync(stateFile) ? JSON.parse(await readFile(stateFile, 'utf8')) as LocalBrokerSecurity : undefined
}

const LISTENER_KEYS = ['ssl', 'saslSsl', 'saslPlaintext', 'expiredSsl'] as const

async function makeUser (dir: string, username: string): Promise<LocalKafkaUser> {
  const passwordFile = join(dir, `${username}.password`)
  await writeFile(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 })
  return { username, passwordFile }
}

/** A CA, and the broker's and a client's keys and certificates signed by it (EC P-256: quick to make). */
async function makeCertificates (dir: string): Promise<void> {
  const days = '3650'
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=Sluice local Kafka CA'])
  await writeFile(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await issue(dir, 'broker', '/CN=localhost', days, 'broker.ext')
  await issue(dir, 'client', '/CN=sluice-client', days)
  await writeFile(join(dir, 'broker-keystore.pem'), Buffer.concat([await readFile(join(dir, 'broker.key')), await readFile(join(dir, 'broker.crt'))]), { mode: 0o600 })
}

/** The broker's key with a certificate that expired the day before it was issued. */
async function makeExpiredCertificate (dir: string): Promise<void> {
  await openssl(dir, ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'expired.crt', '-days', '-1', '-extfile', 'broker.ext'])
  await writeFile(join(dir, 'expired-keystore.pem'), Buffer.concat([await readFile(join(dir, 'broker.key')), await readFile(join(dir, 'expired.crt'))]), { mode: 0o600 })
}

async function issue (dir: string, name: string, subject: string, days: string, extensions?: string): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', days, ...(extensions === undefined ? [] : ['-extfile', extensions])])
  await chmod(join(dir, `${name}.key`), 0o600)
}

/** Runs openssl in `dir` (exported for tests that make certificates of their own, e.g. an untrusted CA). */
export async function openssl (dir: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('openssl', args, { cwd: dir, timeout: 60000 }, (err, _stdout, stderr) => {
      if (err === null) resolve()
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new OpensslMissingError(err))
      else reject(new SecurityMaterialError(`openssl ${args[0]!} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`, err))
    })
  })
}

/** `kafka:` sections a client can use for each listener, next to the certificates. */
async function writeClientConfigs (security: LocalBrokerSecurity): Promise<void> {
  const configs: Record<string, unknown> = {
    'client-ssl.yaml': { brokers: [security.ssl], ssl: { ca_file: security.caFile, cert_file: security.clientCertFile, key_file: security.clientKeyFile } },
    'client-sasl-ssl.yaml': { brokers: [security.saslSsl], ssl: { ca_file: security.caFile }, sasl: { mechanism: 'SCRAM-SHA-512', username: security.scramUser.username, password_file: security.scramUser.passwordFile } },
    'client-sasl-plaintext.yaml': { brokers: [security.saslPlaintext], sasl: { mechanism: 'PLAIN', username: security.plainUser.username, password_file: security.plainUser.passwordFile } }
  }
  for (const [file, kafka] of Object.entries(configs)) {
    await writeFile(join(security.dir, file), `# A \`kafka\` section for this local broker's ${file.slice(7, -5).toUpperCase().replace('-', '_')} listener.\n${yaml.dump({ kafka })}`)
  }
}
