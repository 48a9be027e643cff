import type { FastifyInstance } from 'fastify'
import type { Logger } from '../logger.js'
import { closeOpened } from '../service/index.js'
import type { OpenedResources } from '../service/index.js'
import type { BackgroundTasks } from './background.js'

/**
 * Closes the gateway within `deadline`; true when nothing was abandoned. Order matters: HTTP
 * drains first (in-flight requests may still produce), then work that outlived its response,
 * then what the gateway opened (the stream config's re-reads stop first); the shell flushes the
 * producer after this.
 */
export async function closeGateway (opened: OpenedResources, app: FastifyInstance, background: BackgroundTasks, deadline: number, logger: Logger): Promise<boolean> {
  return closeOpened(opened, [
    { name: 'in-flight HTTP requests', close: async () => { await app.close() } },
    { name: 'background tasks', close: async () => { await background.drain() } }
  ], deadline, logger)
}
