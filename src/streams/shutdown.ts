import type { FastifyInstance } from 'fastify'
import type { Logger } from '../logger.js'
import { closeInOrder } from '../service/index.js'
import type { ShutdownStep } from '../service/index.js'
import type { Session } from './session.js'

/** What the stream service opened of its own while it was built, each added as soon as it is open. */
export interface OpenedResources {
  /** What stops the service's own timers (the stream config's re-reads, the reader's gauges). */
  stops: Array<() => void>
  /** Closed in reverse order, after the open streams and the HTTP server. */
  closers: ShutdownStep[]
}

/** Closes the service within `deadline`: open streams first, then the HTTP server, then what it opened; true when nothing was abandoned. */
export async function closeStreams (opened: OpenedResources, sessions: ReadonlySet<Session>, app: FastifyInstance, deadline: number, logger: Logger): Promise<boolean> {
  for (const stop of opened.stops) stop()
  const abandoned = await closeInOrder([
    { name: 'open streams', close: async () => { await endAll(sessions) } },
    { name: 'HTTP server', close: async () => { await app.close() } },
    ...opened.closers.reverse()
  ], deadline, logger)
  return abandoned.length === 0
}

/** Startup failed: nothing the service opened may outlive it; the shell closes the context. */
export async function closeFailedStart (opened: OpenedResources, graceMs: number, logger: Logger): Promise<void> {
  for (const stop of opened.stops) stop()
  await closeInOrder(opened.closers.reverse(), Date.now() + graceMs, logger)
}

/** Ends every open stream between two events; clients reconnect elsewhere with their last id. */
async function endAll (sessions: ReadonlySet<Session>): Promise<void> {
  const open = [...sessions]
  for (const session of open) session.end('shutdown')
  await Promise.all(open.map(async (s) => s.ended))
}
