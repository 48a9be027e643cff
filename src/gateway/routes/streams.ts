import type { FastifyInstance } from 'fastify'
import type { StreamIndex } from '../../stream-config/index.js'

/** GET /v1/streams and eventgate-wikimedia's GET /v1/stream-configs/:streams. */
export function streamRoutes (streams: () => StreamIndex | undefined) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/v1/streams', async () => streams()?.all() ?? {})
    app.get<{ Params: { streams?: string } }>('/v1/stream-configs/:streams?', async (request) => {
      const index = streams()
      if (index === undefined) return {}
      const requested = request.params.streams
      if (requested === undefined || requested === '') return index.all()
      return index.select(requested.split(/[,|]/).map((s) => s.trim()).filter((s) => s !== ''))
    })
  }
}
