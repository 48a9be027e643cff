import pino from 'pino'
import type { Logger, DestinationStream, LoggerOptions } from 'pino'
import { createLogBounds } from './log-bounds.js'

export type { Logger }

export interface LoggerConfig {
  level: string
  name: string
  /**
   * The longest string a log line copies (a service's `log_max_string_length`). Services that
   * log request-derived data set it; without it, lines are written as they are.
   */
  maxStringLength?: number
}

/** Keys whose values pino's serializers shape; they are bounded after serializing. */
const serializedKeys: ReadonlySet<string> = new Set(['err', 'req', 'res'])

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
    },
    ...(config.maxStringLength === undefined ? {} : boundedOptions(config.maxStringLength))
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}

/** Message strings, merging objects, serialized errors and the request id binding, each bounded. */
function boundedOptions (maxStringLength: number): LoggerOptions {
  const bounds = createLogBounds(maxStringLength)
  return {
    hooks: {
      logMethod (args, method) {
        const bounded = args.map((arg: unknown) => (typeof arg === 'string' ? bounds.text(arg) : arg))
        return method.apply(this, bounded as Parameters<typeof method>)
      }
    },
    formatters: {
      log: (object) => bounds.object(object, serializedKeys)
    },
    serializers: {
      err: (err: Error) => bounds.value(pino.stdSerializers.err(err)),
      // Child bindings skip the formatters but not the serializers. The request id is the one
      // binding a client chooses (X-Request-ID, up to Node's header limit).
      request_id: (id: unknown) => bounds.value(id)
    }
  }
}
