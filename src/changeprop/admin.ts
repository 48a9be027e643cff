import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface HealthReport {
  ok: boolean
  details: Record<string, unknown>
}

export interface AdminServerOptions {
  host: string
  port: number
  registry: Registry
  /** Liveness: false only when the process cannot recover by itself (a consumer died for good). */
  health: () => HealthReport
  /** Readiness: every consumer in its group and the producer connected. */
  readiness: () => HealthReport
}

export interface AdminServer {
  readonly port: number
  close(): Promise<void>
}

/** `GET /metrics`, `/healthz` and `/readyz` of the change-propagation service. */
export async function startAdminServer (options: AdminServerOptions): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/metrics') {
      options.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(text)
      }, (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
      })
      return
    }
    const check = path === '/healthz' ? options.health : path === '/readyz' ? options.readiness : undefined
    if (check === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    const report = check()
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: report.ok ? 'ok' : 'unavailable', ...report.details }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    port,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
