import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../logger.js'
import { adminRoutes } from './admin-routes.js'
import type { AdminRoutesOptions } from './admin-routes.js'

export interface AdminServer {
  /** The bound port (useful with `port: 0`). */
  readonly port: number
  close(): Promise<void>
}

/**
 * A Fastify server with only the admin routes, for a service whose work is not HTTP (change
 * propagation): the same routes and bodies the gateway serves on its own port.
 */
export async function startAdminServer (options: AdminRoutesOptions & { host: string, port: number, logger: Logger }): Promise<AdminServer> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Probes hit these routes every few seconds; a log line each would drown the service's own.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true
  })
  await app.register(adminRoutes(options))
  await app.listen({ host: options.host, port: options.port })
  const { port } = app.server.address() as AddressInfo
  return {
    port,
    async close () { await app.close() }
  }
}
