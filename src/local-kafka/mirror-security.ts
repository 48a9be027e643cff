import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigInvalidError, messageOf } from '../errors.js'
import type { KafkaSecurityConfig } from '../kafka/index.js'

// The `kafka.ssl` and `kafka.sasl` settings of one MirrorMaker 2 cluster, as Kafka's Java client
// takes them. Secrets never go into the properties file: MirrorMaker reads them from its own
// environment (Kafka's EnvVarConfigProvider, `${env:NAME}`), where this process puts what the
// settings' files hold; a `*_env` setting is referred to as it is.

/** A cluster's security settings, with relative paths resolved against `cwd`. */
export interface MirrorClusterSecurity extends KafkaSecurityConfig {
  cwd?: string
}

export interface MirrorSecurityProperties {
  /** `<cluster>.`-prefixed lines of the properties file. */
  lines: string[]
  /** Variables MirrorMaker's process gets: the secrets the lines refer to. */
  env: Record<string, string>
  /** JVM system properties it needs (OAUTHBEARER's token file must be allowed). */
  jvmProperties: string[]
}

/** The config providers the properties refer to, declared once at the top of the file. */
export const mirrorConfigProviderLines: readonly string[] = [
  'config.providers = env',
  'config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider'
]

const LOGIN_MODULES: Readonly<Record<string, string>> = {
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  OAUTHBEARER: 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
}

/**
 * The client settings of cluster `name` for MirrorMaker 2. `ssl.server_name` has no counterpart
 * in the Java client (it checks the broker's advertised host name), and `ssl.verify: false`
 * turns off only the host name check there.
 */
export function mirrorSecurityProperties (name: string, security: MirrorClusterSecurity | undefined): MirrorSecurityProperties {
  const result: MirrorSecurityProperties = { lines: [], env: {}, jvmProperties: [] }
  if (security === undefined || (security.ssl === undefined && security.sasl === undefined)) return result
  const cwd = security.cwd ?? process.cwd()
  const variable = (what: string): string => `SLUICE_MIRROR_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${what}`
  const fromFile = (file: string, key: string, what: string): string => {
    const value = readSecret(resolve(cwd, file), key).replace(/\r?\n$/, '')
    result.env[variable(what)] = value
    return `\${env:${variable(what)}}`
  }
  const line = (key: string, value: string): void => { result.lines.push(`${name}.${key} = ${value}`) }
  const { ssl, sasl } = security
  line('security.protocol', ssl === undefined ? 'SASL_PLAINTEXT' : sasl === undefined ? 'SSL' : 'SASL_SSL')
  if (ssl !== undefined) {
    if (ssl.ca_file !== undefined) {
      line('ssl.truststore.type', 'PEM')
      line('ssl.truststore.location', escapeValue(resolve(cwd, ssl.ca_file)))
    }
    if (ssl.cert_file !== undefined && ssl.key_file !== undefined) {
      line('ssl.keystore.type', 'PEM')
      line('ssl.keystore.certificate.chain', fromFile(ssl.cert_file, 'kafka.ssl.cert_file', 'CERT'))
      line('ssl.keystore.key', fromFile(ssl.key_file, 'kafka.ssl.key_file', 'KEY'))
      if (ssl.key_passphrase_file !== undefined) line('ssl.key.password', fromFile(ssl.key_passphrase_file, 'kafka.ssl.key_passphrase_file', 'KEY_PASSPHRASE'))
      else if (ssl.key_passphrase_env !== undefined) line('ssl.key.password', `\${env:${ssl.key_passphrase_env}}`)
    }
    if (ssl.verify === false) line('ssl.endpoint.identification.algorithm', '')
  }
  if (sasl !== undefined) {
    line('sasl.mechanism', sasl.mechanism)
    const module = LOGIN_MODULES[sasl.mechanism]!
    if (sasl.mechanism === 'OAUTHBEARER') {
      const tokenUrl = pathToFileURL(resolve(cwd, sasl.token_file ?? '')).href
      // The Java client reads a file: token endpoint again when its token nears expiry.
      line('sasl.login.callback.handler.class', 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler')
      line('sasl.oauthbearer.token.endpoint.url', tokenUrl)
      line('sasl.jaas.config', `${module} required ;`)
      result.jvmProperties.push(`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${tokenUrl}`)
    } else {
      const password = sasl.password_file !== undefined
        ? fromFile(sasl.password_file, 'kafka.sasl.password_file', 'PASSWORD')
        : `\${env:${sasl.password_env ?? ''}}`
      line('sasl.jaas.config', `${module} required username="${jaasEscape(sasl.username ?? '')}" password="${password}";`)
    }
  }
  return result
}

function readSecret (file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigInvalidError('mirror cluster settings', [`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? messageOf(err)})`])
  }
}

/** A properties value: backslashes doubled (paths on Windows, regexes). */
function escapeValue (value: string): string {
  return value.replace(/\\/g, '\\\\')
}

function jaasEscape (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
}
