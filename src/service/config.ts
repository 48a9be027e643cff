import type { LoggerConfig } from '../logger.js'

/**
 * The config keys every HTTP service of Sluice starts with, each with the service's own defaults
 * where they differ: its name (in every log line), where it listens, its log level and the longest
 * string a log line keeps, its CORS origin, and the bound of its whole shutdown.
 */
export function serviceHeadProperties<const N extends string, const P extends number, const G extends number> (defaults: { serviceName: N, port: P, shutdownGraceMs: G }) {
  return {
    service_name: { type: 'string', minLength: 1, default: defaults.serviceName },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: defaults.port },
    listen_address: { type: 'string', minLength: 1, default: '0.0.0.0' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    log_max_string_length: { type: 'integer', minimum: 64, default: 2048 },
    cors: { anyOf: [{ type: 'string', minLength: 1 }, { const: false }], default: '*' },
    shutdown_grace_ms: { type: 'integer', minimum: 0, default: defaults.shutdownGraceMs }
  } as const
}

/** The head keys of a validated config. */
export interface ServiceHead {
  service_name: string
  port: number
  listen_address: string
  log_level: LoggerConfig['level']
  log_max_string_length: number
}

/** The service's logger, from its head keys. */
export function serviceLogger (config: Readonly<ServiceHead>): LoggerConfig {
  return { level: config.log_level, name: config.service_name, maxStringLength: config.log_max_string_length }
}
