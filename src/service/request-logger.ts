import type { FastifyBaseLogger } from 'fastify'

type Bindings = Record<string, unknown>
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
type LogArgs = Parameters<FastifyBaseLogger['info']>

/**
 * Fastify's `childLoggerFactory`: a request's child logger (the one that carries its
 * `request_id`) is made only when the request logs a line. Nearly every request logs none, and
 * making a pino child for each was 2 % of the gateway's CPU at one event per request.
 */
export function lazyRequestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options)
}

class LazyChildLogger implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Bindings
  readonly #options: ChildOptions

  constructor (parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  #logger (): FastifyBaseLogger {
    this.#made ??= this.#parent.child(this.#bindings, this.#options)
    return this.#made
  }

  get level (): string { return this.#made?.level ?? this.#options?.level ?? this.#parent.level }
  set level (value: string) { this.#logger().level = value }

  fatal (...args: LogArgs): void { this.#logger().fatal(...args) }
  error (...args: LogArgs): void { this.#logger().error(...args) }
  warn (...args: LogArgs): void { this.#logger().warn(...args) }
  info (...args: LogArgs): void { this.#logger().info(...args) }
  debug (...args: LogArgs): void { this.#logger().debug(...args) }
  trace (...args: LogArgs): void { this.#logger().trace(...args) }
  silent (...args: LogArgs): void { this.#logger().silent(...args) }
  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger { return this.#logger().child(bindings, options) }
}
