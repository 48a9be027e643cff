import pino from 'pino'
import type { Logger, DestinationStream, LoggerOptions } from 'pino'

export type { Logger }

export interface LoggerConfig {
  level: string
  name: string
}

/**
 * The one pino logger of a process. Modules get children of it
 * (`logger.child({ module: 'gateway' })`); nothing creates its own.
 * Untrusted event bodies are only ever logged under the `event` key.
 */
export function createLogger (config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: config.name,
    level: config.level,
    base: { service: config.name },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization'],
      censor: '[redacted]'
    }
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
