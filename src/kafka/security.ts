import { readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'
import { KafkaSecurity } from './client.js'
import { ConfigInvalidError, messageOf } from '../errors.js'
import type { Logger } from '../logger.js'
import type { KafkaSaslConfig, KafkaSecurityConfig, KafkaSslConfig } from './options.js'

// How Sluice reaches a secured Kafka cluster: what the `kafka.ssl` and `kafka.sasl` keys
// (options.ts) become for the client. Secrets are read when the client authenticates, so none
// sits in a config object that could be logged.

export interface ResolveSecurityOptions {
  /** Relative file paths are resolved against this directory. */
  cwd: string
  /** Where `*_env` keys are read. */
  env: NodeJS.ProcessEnv
  logger?: Logger
  /** Names the config in errors, e.g. the file. Default `configuration`. */
  source?: string
  /** The config key the settings sit under, for messages. Default `kafka`. */
  key?: string
}

/**
 * Turns a `kafka` section's `ssl` and `sasl` into the client's settings, or undefined when it
 * has neither (plaintext). Checks everything it can at once, so that a missing file, an unset
 * variable, a key that does not decrypt or a certificate that does not match its key stops
 * startup with a ConfigInvalidError naming the key (and never the secret).
 */
export function resolveKafkaSecurity (config: KafkaSecurityConfig, options: ResolveSecurityOptions): KafkaSecurity | undefined {
  if (config.ssl === undefined && config.sasl === undefined) return undefined
  const problems: string[] = []
  const key = options.key ?? 'kafka'
  const tls = config.ssl === undefined ? undefined : resolveTls(config.ssl, options, `${key}.ssl`, problems)
  const sasl = config.sasl === undefined ? undefined : resolveSasl(config.sasl, options, `${key}.sasl`, problems)
  if (problems.length > 0) throw new ConfigInvalidError(options.source ?? 'configuration', problems)
  const protocol = tls === undefined ? 'SASL_PLAINTEXT' : sasl === undefined ? 'SSL' : 'SASL_SSL'
  const who = sasl === undefined
    ? (config.ssl?.cert_file === undefined ? '' : ' (client certificate)')
    : ` (${sasl.mechanism}${typeof sasl.username === 'string' ? ` as ${sasl.username}` : ''})`
  if (config.ssl?.verify === false) {
    options.logger?.warn({ setting: `${key}.ssl.verify` }, 'Kafka TLS certificate verification is off: any server can pose as the brokers')
  }
  if (tls === undefined && sasl?.mechanism === 'PLAIN') {
    options.logger?.warn({ setting: `${key}.sasl` }, 'SASL PLAIN without TLS sends the password in clear text')
  }
  return new KafkaSecurity({
    ...(tls === undefined ? {} : { tls }),
    ...(config.ssl?.server_name === undefined ? {} : { tlsServerName: config.ssl.server_name }),
    ...(sasl === undefined ? {} : { sasl })
  }, `${protocol}${who}`)
}

function resolveTls (ssl: KafkaSslConfig, options: ResolveSecurityOptions, key: string, problems: string[]): TlsOptions | undefined {
  const before = problems.length
  const ca = ssl.ca_file === undefined ? undefined : readSetting(ssl.ca_file, `${key}.ca_file`, options, problems)
  if ((ssl.cert_file === undefined) !== (ssl.key_file === undefined)) problems.push(`${key}: cert_file and key_file go together (mutual TLS)`)
  if (ssl.key_passphrase_file !== undefined && ssl.key_passphrase_env !== undefined) problems.push(`${key}: give key_passphrase_file or key_passphrase_env, not both`)
  const cert = ssl.cert_file === undefined ? undefined : readSetting(ssl.cert_file, `${key}.cert_file`, options, problems)
  const privateKey = ssl.key_file === undefined ? undefined : readSetting(ssl.key_file, `${key}.key_file`, options, problems)
  const passphrase = ssl.key_passphrase_file !== undefined
    ? readSetting(ssl.key_passphrase_file, `${key}.key_passphrase_file`, options, problems)?.toString('utf8').replace(/\r?\n$/, '')
    : ssl.key_passphrase_env === undefined ? undefined : readEnv(ssl.key_passphrase_env, `${key}.key_passphrase_env`, options, problems)
  if (problems.length > before) return undefined
  const tls: TlsOptions = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(privateKey === undefined ? {} : { key: privateKey }),
    ...(passphrase === undefined ? {} : { passphrase }),
    rejectUnauthorized: ssl.verify !== false
  }
  try {
    // Parses the CA bundle, decrypts the key and checks it matches the certificate, now rather
    // than at the first connection.
    createSecureContext(tls)
  } catch (err) {
    problems.push(`${key}: the certificate files cannot be used (${describeTlsProblem(err)})`)
    return undefined
  }
  return tls
}

/** OpenSSL's reason, without anything it may quote from the files. */
function describeTlsProblem (err: unknown): string {
  const code = (err as { code?: unknown }).code
  const reason = (err as { reason?: unknown }).reason
  if (typeof reason === 'string') return reason
  if (typeof code === 'string') return code
  return messageOf(err).split('\n')[0]!.slice(0, 200)
}

function resolveSasl (sasl: KafkaSaslConfig, options: ResolveSecurityOptions, key: string, problems: string[]): SASLOptions | undefined {
  const before = problems.length
  if (sasl.mechanism === 'OAUTHBEARER') {
    if (sasl.token_file === undefined) problems.push(`${key}.token_file: OAUTHBEARER needs a token file`)
    for (const unused of ['username', 'password_file', 'password_env'] as const) {
      if (sasl[unused] !== undefined) problems.push(`${key}.${unused}: not used with OAUTHBEARER (the token says who the client is)`)
    }
    if (problems.length > before) return undefined
    const file = resolve(options.cwd, sasl.token_file!)
    if (readSetting(sasl.token_file!, `${key}.token_file`, options, problems) === undefined) return undefined
    return { mechanism: 'OAUTHBEARER', token: createTokenReader(file), authBytesValidator: refuseOAuthError }
  }
  if (sasl.username === undefined) problems.push(`${key}.username: ${sasl.mechanism} needs a username`)
  if (sasl.token_file !== undefined) problems.push(`${key}.token_file: only used with OAUTHBEARER`)
  if ((sasl.password_file === undefined) === (sasl.password_env === undefined)) {
    problems.push(`${key}: give the password as password_file or password_env (exactly one; never inline)`)
  }
  if (problems.length > before) return undefined
  let password: SASLOptions['password']
  if (sasl.password_file !== undefined) {
    if (readSetting(sasl.password_file, `${key}.password_file`, options, problems) === undefined) return undefined
    const file = resolve(options.cwd, sasl.password_file)
    // Read at every authentication: a rotated secret is used from the next connection on.
    password = async () => withoutNewline(await readFile(file, 'utf8'))
  } else {
    const value = readEnv(sasl.password_env!, `${key}.password_env`, options, problems)
    if (value === undefined) return undefined
    password = () => value
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password }
}

/**
 * A broker that refuses an OAUTHBEARER token answers with an error document (RFC 7628, e.g.
 * `{"status":"invalid_token"}`) instead of an error code, and the client (@platformatic/kafka
 * 2.12) would take that for success and be refused at its next request: such an answer is a
 * failed authentication here.
 */
function refuseOAuthError (authBytes: Buffer, callback: (error: Error | null, result?: Buffer) => void): void {
  let status: unknown
  if (authBytes.length > 0) {
    try {
      status = (JSON.parse(authBytes.toString('utf8')) as { status?: unknown }).status
    } catch {
      status = undefined
    }
  }
  if (typeof status === 'string') callback(new Error(`the broker refused the token (${status.slice(0, 64)})`))
  else callback(null, authBytes)
}

/**
 * The token of an OAUTHBEARER file, read again when the file changes (a token refresher or a
 * projected Kubernetes token rewrites it): the file's identity, size and time decide.
 */
function createTokenReader (file: string): () => Promise<string> {
  let cached: { stamp: string, token: string } | undefined
  return async () => {
    const info = await stat(file)
    const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`
    if (cached?.stamp !== stamp) cached = { stamp, token: withoutNewline(await readFile(file, 'utf8')).trim() }
    return cached.token
  }
}

function withoutNewline (text: string): string {
  return text.replace(/\r?\n$/, '')
}

function readSetting (file: string, key: string, options: ResolveSecurityOptions, problems: string[]): Buffer | undefined {
  const full = resolve(options.cwd, file)
  try {
    if (!statSync(full).isFile()) throw new Error('not a file')
    const content = readFileSync(full)
    if (content.length === 0) throw new Error('the file is empty')
    return content
  } catch (err) {
    problems.push(`${key}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? messageOf(err)})`)
    return undefined
  }
}

function readEnv (name: string, key: string, options: ResolveSecurityOptions, problems: string[]): string | undefined {
  const value = options.env[name]
  if (value === undefined || value === '') {
    problems.push(`${key}: the environment variable ${name} is not set`)
    return undefined
  }
  return value
}
