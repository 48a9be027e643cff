import type { FastifyInstance } from 'fastify'
import { RouteNotFoundError } from '../errors.js'
import { openApiDocument } from '../openapi.js'

export interface ServiceInfo {
  name: string
  version: string
  description: string
  home: string | undefined
}

/** EventGate's /_info routes, /robots.txt and the OpenAPI document at /?spec. */
export function infoRoutes (info: ServiceInfo) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/_info', async () => info)
    app.get('/_info/name', async () => ({ name: info.name }))
    app.get('/_info/version', async () => ({ version: info.version }))
    app.get('/_info/home', async (request, reply) => {
      if (info.home === undefined) throw new RouteNotFoundError(request.method, request.url)
      return reply.redirect(info.home, 301)
    })
    app.get('/robots.txt', async (_request, reply) => reply.type('text/plain').send('User-agent: *\nDisallow: /\n'))
    app.get('/', async (request) => {
      const query = request.query as Record<string, unknown>
      if (query.spec !== undefined) return openApiDocument(info.version)
      throw new RouteNotFoundError(request.method, request.url)
    })
  }
}
