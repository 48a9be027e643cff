import type { Writable } from 'node:stream'
import { describeFailure, isSluiceError } from '../errors.js'
import { checkKafkaAccess } from '../kafka/index.js'
import { createServiceContext } from './context.js'
import type { ContextOverrides, ContextSettings, ServiceContext } from './context.js'
import { closeInOrder } from './shutdown.js'
import type { Logger } from '../logger.js'

/** What a definition builds: the service's own work, between the context's creation and its close. */
export interface Service {
  /** Starts serving (listens, joins consumer groups); resolves to a line saying where. */
  start(): Promise<string>
  /**
   * Stops the service's own work by `deadline` (epoch ms); resolves to false when it had to
   * abandon something to keep it. The shell closes the context's resources (producer, HTTP
   * agent) after it, within the same deadline.
   */
  close(deadline: number): Promise<boolean | void>
  /** Re-reads what can change without a restart (SIGHUP). */
  reload?(): Promise<unknown>
}

/** A service as the shell runs it: config → context → build → start → close. */
export interface ServiceDefinition<C, S extends Service> {
  /** `gateway`, `changeprop`: names the CLI's lines. */
  name: string
  /** The context's parts, from the config. */
  context(config: Readonly<C>): ContextSettings
  /** Upper bound of the whole shutdown (the service's own config key). */
  shutdownMs(config: Readonly<C>): number
  /** A reason the config cannot run at all (the CLI exits 2 with it), or undefined. */
  unusable?(config: Readonly<C>): string | undefined
  /** Builds the service on its context; may do I/O (load stream config, compile rules). Nothing serves yet. */
  build(config: Readonly<C>, context: ServiceContext): Promise<S>
}

/** `unusable` of every service that talks to Kafka: it cannot run without brokers. */
export function withoutBrokers (config: Readonly<{ kafka: { brokers: readonly string[] } }>): string | undefined {
  return config.kafka.brokers.length === 0
    ? 'no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS); `sluice up` starts a local broker for you'
    : undefined
}

/**
 * A built service whose `close()` is the shell's: the service, then the context, every step
 * bounded by one deadline (epoch ms; by default its shutdown bound from now, or the one given
 * when it shares a deadline with others). Resolves to false when something was abandoned.
 */
export type ShellService<S extends Service> = Omit<S, 'close'> & {
  readonly context: ServiceContext
  /** The service's shutdown bound (its config's). */
  readonly shutdownMs: number
  close(deadline?: number): Promise<boolean>
}

/**
 * Creates the context and builds the service on it. If building fails, whatever the context
 * created is closed before the error is rethrown, so nothing outlives a failed startup.
 */
export async function buildService<C, S extends Service> (
  definition: ServiceDefinition<C, S>,
  config: Readonly<C>,
  options: { cwd: string } & ContextOverrides
): Promise<ShellService<S>> {
  const context = createServiceContext(definition.context(config), options.cwd, options)
  const shutdownMs = definition.shutdownMs(config)
  let service: S
  try {
    // A cluster that refuses this service as configured (credentials, certificates, protocol)
    // stops startup with the reason; one that cannot be reached does not (it starts not ready).
    const kafka = context.kafka
    if (kafka !== undefined && kafka.brokers.length > 0) {
      await checkKafkaAccess({ brokers: kafka.brokers, clientId: kafka.clientId, timeoutMs: kafka.healthCheckTimeoutMs, security: kafka.security, logger: context.logger })
    }
    service = await definition.build(config, context)
  } catch (err) {
    await closeInOrder(context.closers, Date.now() + shutdownMs, context.logger)
    throw err
  }
  let closing: Promise<boolean> | undefined
  const close = async (deadline = Date.now() + shutdownMs): Promise<boolean> => {
    closing ??= (async () => {
      const steps = [{ name: definition.name, close: async (d: number) => service.close(d) }, ...context.closers]
      return (await closeInOrder(steps, deadline, context.logger)).length === 0
    })()
    return closing
  }
  // A view of the service with the shell's close(): its own members (getters included) stay
  // reachable through the prototype, and its own close(deadline) is what the shell calls.
  return Object.create(service, { close: { value: close }, context: { value: context }, shutdownMs: { value: shutdownMs } }) as ShellService<S>
}

/** Reloads a running service on each reload request (SIGHUP); a failed reload is logged, and the last good state stays. */
export function reloadOnRequest (service: ShellService<Service>, onReload: (handler: () => void) => void): void {
  onReload(() => {
    service.reload?.().catch((err: unknown) => { service.context.logger.error({ err }, 'reload failed') })
  })
}

/**
 * Closes services that run side by side in one process (`sluice up`), the last started first,
 * all within one deadline: the longest shutdown bound of theirs from now, so that one hanging
 * service cannot stretch the whole shutdown. Resolves to the names of those that abandoned
 * something (or did not close in time).
 */
export async function closeServices (services: ReadonlyArray<{ name: string, service: ShellService<Service> }>, logger: Logger): Promise<string[]> {
  const deadline = Date.now() + Math.max(0, ...services.map(({ service }) => service.shutdownMs))
  return closeInOrder([...services].reverse().map(({ name, service }) => ({ name, close: async (d: number) => service.close(d) })), deadline, logger)
}

/** What the shell needs of the process: its output, and the stop and reload requests (signals). */
export interface ProcessHooks {
  stdout: Writable
  stderr: Writable
  /** Resolves with the signal's name when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<string>
  /** Registers a handler for reload requests (SIGHUP). */
  onReload: (handler: () => void) => void
}

/**
 * Runs one service until the process is asked to stop, and returns the exit code: 0 after a
 * clean stop, 1 when startup failed or the shutdown had to abandon something, 2 when the
 * configuration cannot run at all.
 */
export async function runService<C, S extends Service> (
  definition: ServiceDefinition<C, S>,
  config: Readonly<C>,
  options: { cwd: string, hooks: ProcessHooks } & ContextOverrides
): Promise<number> {
  const { hooks } = options
  const say = (stream: Writable, line: string): void => { stream.write(`sluice ${definition.name}: ${line}\n`) }
  const unusable = definition.unusable?.(config)
  if (unusable !== undefined) {
    say(hooks.stderr, unusable)
    return 2
  }
  let service: ShellService<S> | undefined
  try {
    service = await buildService(definition, config, options)
    reloadOnRequest(service, hooks.onReload)
    say(hooks.stdout, await service.start())
  } catch (err) {
    // The code too, as `sluice kafka` prints it: what a runbook or an alert can match.
    say(hooks.stderr, `${describeFailure(err)}${isSluiceError(err) ? ` [${err.code}]` : ''}`)
    if (service !== undefined) await service.close()
    return 1
  }
  const signal = await hooks.stopSignal
  say(hooks.stdout, `${signal}, stopping`)
  if (await service.close()) return 0
  // Bounded so a stuck dependency cannot outlive Kubernetes' termination grace period.
  say(hooks.stderr, `shutdown did not finish within ${definition.shutdownMs(config)} ms; exiting anyway`)
  return 1
}
