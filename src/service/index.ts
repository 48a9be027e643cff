/**
 * The service shell: one lifecycle for every long-running Sluice service.
 *
 *   config (validated, defaults from the schema)
 *     → context   logger, metrics registry, undici Agent, Kafka producer    (context.ts)
 *     → build     the service's composition root; may do I/O, serves nothing
 *     → start     listen / join consumer groups; resolves to a line for the CLI
 *     → close     the service's own work, then the context, all within one deadline (shutdown.ts)
 *
 * To put a service on the shell:
 *   1. Export a `ServiceDefinition<Config, S>` next to the service's composition root:
 *      `context(config)` names the logger, HTTP agent and producer settings from config keys,
 *      `shutdownMs(config)` its shutdown bound, `unusable(config)` a reason it cannot run
 *      (exit 2), and `build(config, context)` returns an `S extends Service`.
 *   2. In `build`, use the context's logger, registry, dispatcher and producer; create nothing
 *      of those kinds yourself. `close(deadline)` closes only what `build` and `start` made
 *      (with `closeInOrder`); the shell closes the context after it.
 *   3. Serve the admin routes: register `adminRoutes({ registry, readiness, health, info })` on the
 *      service's own Fastify app, or `startAdminServer(...)` when the service is not HTTP. /readyz
 *      answers `{ready, checks: {name: bool}, details?}` for every service.
 *   4. Log with the levels of `log-policy.ts`.
 *   5. The CLI command parses its arguments, loads the config and returns
 *      `runService(definition, config, { cwd, hooks: io })`: signals, SIGHUP reload, the bounded
 *      shutdown and the exit code are the shell's. Tests build with `buildService(...)` and close
 *      with its `close()`.
 */
export { adminRoutes, readinessBody } from './admin-routes.js'
export type { AdminRoutesOptions, HealthReport, ReadinessBody, ReadinessCheck } from './admin-routes.js'
export { startAdminServer } from './admin-server.js'
export type { AdminServer } from './admin-server.js'
export { createServiceContext, kafkaSettings, producerSettings, requireProducer } from './context.js'
export type { ContextOverrides, ContextSettings, KafkaAccess, KafkaSettings, ServiceContext } from './context.js'
export { readServiceInfo } from './info.js'
export { createHttpService } from './http.js'
export { serviceHeadProperties, serviceLogger } from './config.js'
export type { ServiceHead } from './config.js'
export { createStreamConfigReload } from './stream-config-reload.js'
export type { StreamConfigReload, StreamConfigReloadOptions } from './stream-config-reload.js'
export type { HttpServiceOptions, ServerOptions } from './http.js'
export { serviceHeaders } from './headers.js'
export type { HeaderSettings } from './headers.js'
export { sendProblem, toSluiceError } from './problem.js'
export type { Problem, ProblemOf } from './problem.js'
export { RequestInvalidError, RouteNotFoundError } from './errors.js'
export { lazyRequestLogger } from './request-logger.js'
export type { ServiceInfo } from './info.js'
export { eventFailureLevel, eventRequestLevel, followUpLevel, problemLevel } from './log-policy.js'
export type { PolicyLevel } from './log-policy.js'
export { buildService, closeServices, reloadOnRequest, runService, withoutBrokers } from './shell.js'
export { processSignals } from './signals.js'
export type { ProcessHooks, Service, ServiceDefinition, ShellService } from './shell.js'
export { closeFailedStart, closeInOrder, closeOpened } from './shutdown.js'
// The bounded wait of src/deadline.ts, for the services that take their shutdown steps from here.
export { settlesBefore } from '../deadline.js'
export type { OpenedResources, ShutdownStep } from './shutdown.js'
