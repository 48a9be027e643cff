import type { FastifyInstance } from 'fastify'
import type { Logger } from '../logger.js'
import { closeInOrder } from '../service/index.js'
import type { ShutdownStep } from '../service/index.js'
import type { BackgroundTasks } from './background.js'

/** What the gateway opened of its own while it was built, each added as soon as it is open. */
export interface OpenedResources {
  /** What stops the gateway's own timers (the stream config's re-reads). */
  stops: Array<() => void>
  /** Closed in reverse order, after the HTTP app and the background tasks. */
  closers: ShutdownStep[]
}

/**
 * Closes the gateway within `deadline`; true when nothing was abandoned. Order matters: HTTP
 * drains first (in-flight requests may still produce), then work that outlived its response;
 * the shell flushes the producer after this.
 */
export async function closeGateway (opened: OpenedResources, app: FastifyInstance, background: BackgroundTasks, deadline: number, logger: Logger): Promise<boolean> {
  for (const stop of opened.stops) stop()
  const abandoned = await closeInOrder([
    { name: 'in-flight HTTP requests', close: async () => { await app.close() } },
    { name: 'background tasks', close: async () => { await background.drain() } },
    ...opened.closers.reverse()
  ], deadline, logger)
  return abandoned.length === 0
}

/**
 * Startup failed: nothing of the gateway's own may outlive it (the git poll, timers); the
 * shell closes the context.
 */
export async function closeFailedStart (opened: OpenedResources, graceMs: number, logger: Logger): Promise<void> {
  for (const stop of opened.stops) stop()
  await closeInOrder(opened.closers.reverse(), Date.now() + graceMs, logger)
}
