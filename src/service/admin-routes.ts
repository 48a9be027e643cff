import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { ServiceInfo } from './info.js'

/** One dependency /readyz asks about; `details` says more while it is not ready (e.g. which consumers). */
export interface ReadinessCheck {
  name: string
  ready: () => boolean
  details?: () => unknown
}

/** Liveness: false only when the process cannot recover by itself and a restart would help. */
export interface HealthReport {
  ok: boolean
  details?: Record<string, unknown>
}

/** The /readyz body of every service. */
export interface ReadinessBody {
  ready: boolean
  checks: Record<string, boolean>
  /** Only present when a failing check has something to say. */
  details?: Record<string, unknown>
}

export interface AdminRoutesOptions {
  registry: Registry
  readiness: readonly ReadinessCheck[]
  health?: () => HealthReport
  info?: ServiceInfo
}

export function readinessBody (checks: readonly ReadinessCheck[]): ReadinessBody {
  const results = Object.fromEntries(checks.map((check) => [check.name, check.ready()]))
  const details: Record<string, unknown> = {}
  for (const check of checks) {
    if (!results[check.name] && check.details !== undefined) details[check.name] = check.details()
  }
  const ready = Object.values(results).every(Boolean)
  return Object.keys(details).length === 0 ? { ready, checks: results } : { ready, checks: results, details }
}

/**
 * The admin routes every service answers, on whatever Fastify instance it serves:
 * GET /healthz (200 unless the process cannot recover by itself), GET /readyz (every dependency
 * usable right now, 503 otherwise naming the failing checks, one body shape for all services),
 * GET /metrics (Prometheus text format), and with `info` EventGate's /_info routes and /robots.txt.
 */
export function adminRoutes (options: AdminRoutesOptions) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/healthz', async (_request, reply) => {
      const report = options.health?.() ?? { ok: true }
      return reply.code(report.ok ? 200 : 503).send({ status: report.ok ? 'ok' : 'unavailable', ...report.details })
    })
    app.get('/readyz', async (_request, reply) => {
      const body = readinessBody(options.readiness)
      return reply.code(body.ready ? 200 : 503).send(body)
    })
    app.get('/metrics', async (_request, reply) => {
      const text = await options.registry.metrics()
      return reply.type(options.registry.contentType).send(text)
    })
    const info = options.info
    if (info === undefined) return
    app.get('/_info', async () => info)
    app.get('/_info/name', async () => ({ name: info.name }))
    app.get('/_info/version', async () => ({ version: info.version }))
    app.get('/_info/home', async (_request, reply) => {
      if (info.home === undefined) return reply.callNotFound()
      return reply.redirect(info.home, 301)
    })
    app.get('/robots.txt', async (_request, reply) => reply.type('text/plain').send('User-agent: *\nDisallow: /\n'))
  }
}
