import type { Logger } from '../logger.js'
import type { Redis } from '../redis.js'
import { closeInOrder, settlesBefore } from '../service/index.js'
import type { AdminServer } from '../service/index.js'
import type { ChangepropConfig } from './config.js'
import type { RuleConsumers, TopicRefresh } from './consumers/index.js'
import { consumersOf } from './consumers/index.js'
import type { ExecModulesWiring } from './modules/index.js'

/** What `start()` opened besides the consumers, each set as soon as it is open (a failed start closes what it got to). */
export interface OpenedResources {
  admin?: AdminServer | undefined
  redis?: Redis | undefined
  modules?: ExecModulesWiring | undefined
}

export interface ShutdownDeps {
  config: Readonly<ChangepropConfig>
  log: Logger
  refresh: TopicRefresh
  entries: readonly RuleConsumers[]
  opened: OpenedResources
}

/**
 * Stops fetching, lets in-flight events finish until shortly before `deadline` (the rest are
 * abandoned uncommitted, to run again after restart), commits what finished, then closes
 * Redis, the HTCP socket and the admin server. The shell flushes the producer after this.
 *
 * The whole shutdown fits in the deadline, even with Kafka hanging: in-flight events get all of
 * it but a reserve; of the reserve, the first half is for committing and leaving the groups, the
 * second for the producer's flush, which the shell runs after this.
 */
export async function shutDown (deps: ShutdownDeps, deadline: number): Promise<void> {
  const { log, opened } = deps
  const totalMs = Math.max(0, deadline - Date.now())
  const reserveMs = Math.min(2000, Math.floor(totalMs / 4))
  const drainTimeoutMs = totalMs - reserveMs
  const consumersDeadline = deadline - Math.floor(reserveMs / 2)
  // A refresh under way finishes its step (it checks `closing`), so no consumer starts after this.
  if (!await settlesBefore(deps.refresh.stop(), deadline)) log.warn('shutdown: topic refresh abandoned')
  // Events waiting for their time stay in Kafka for the restart rather than hold the shutdown up.
  for (const entry of deps.entries) entry.runner.stopWaiting()
  await closeConsumers(deps, drainTimeoutMs, consumersDeadline)
  await closeInOrder([
    { name: 'redis', close: async () => { opened.redis?.disconnect() } },
    { name: 'htcp', close: async () => { await opened.modules?.close() } },
    { name: 'admin server', close: async () => { await opened.admin?.close() } }
  ], deadline, log)
  log.info('change propagation stopped')
}

/** Closes every consumer at once, each draining for at most `drainTimeoutMs` and given up at `consumersDeadline`. */
async function closeConsumers (deps: ShutdownDeps, drainTimeoutMs: number, consumersDeadline: number): Promise<void> {
  const { config, log } = deps
  const closingConsumers = consumersOf(deps.entries).map(async (consumer) => consumer.close({ drainTimeoutMs: Math.max(0, Math.min(drainTimeoutMs, consumersDeadline - Date.now())) }))
  const results = await Promise.allSettled(closingConsumers.map(async (closed) => {
    if (!await settlesBefore(closed, consumersDeadline)) throw new Error(`the consumer did not close within shutdown_timeout_ms (${config.shutdown_timeout_ms} ms); its finished events stay uncommitted and run again after restart`)
    return closed
  }))
  const abandoned = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.abandoned : 0), 0)
  for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'closing a consumer failed')
  if (abandoned > 0) log.warn({ abandoned }, 'in-flight events abandoned at shutdown; they run again after restart')
}
