import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'

export interface ReadinessCheck {
  name: string
  ready: () => boolean
}

/**
 * GET /healthz (the process serves requests), GET /readyz (every dependency is usable right
 * now: 503 otherwise, naming the failing checks) and GET /metrics (Prometheus text format).
 */
export function adminRoutes (options: { registry: Registry, checks: readonly ReadinessCheck[] }) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok' }))
    app.get('/readyz', async (_request, reply) => {
      const checks = Object.fromEntries(options.checks.map((check) => [check.name, check.ready()]))
      const ready = Object.values(checks).every(Boolean)
      return reply.code(ready ? 200 : 503).send({ ready, checks })
    })
    app.get('/metrics', async (_request, reply) => {
      const text = await options.registry.metrics()
      return reply.type(options.registry.contentType).send(text)
    })
  }
}
