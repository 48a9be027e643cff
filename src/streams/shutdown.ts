import type { FastifyInstance } from 'fastify'
import type { Logger } from '../logger.js'
import { closeOpened } from '../service/index.js'
import type { OpenedResources } from '../service/index.js'
import type { Session } from './session.js'

/** Closes the service within `deadline`: open streams first, then the HTTP server, then what it opened; true when nothing was abandoned. */
export async function closeStreams (opened: OpenedResources, sessions: ReadonlySet<Session>, app: FastifyInstance, deadline: number, logger: Logger): Promise<boolean> {
  return closeOpened(opened, [
    { name: 'open streams', close: async () => { await endAll(sessions) } },
    { name: 'HTTP server', close: async () => { await app.close() } }
  ], deadline, logger)
}

/** Ends every open stream between two events; clients reconnect elsewhere with their last id. */
async function endAll (sessions: ReadonlySet<Session>): Promise<void> {
  const open = [...sessions]
  for (const session of open) session.end('shutdown')
  await Promise.all(open.map(async (s) => s.ended))
}
