import type { FastifyInstance } from 'fastify'
import { RouteNotFoundError } from '../errors.js'
import { openApiDocument } from '../openapi.js'

/** The OpenAPI document of every route at /?spec (EventGate's); / itself is not a page. */
export function specRoute (version: string) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/', async (request) => {
      const query = request.query as Record<string, unknown>
      if (query.spec !== undefined) return openApiDocument(version)
      throw new RouteNotFoundError(request.method, request.url)
    })
  }
}
