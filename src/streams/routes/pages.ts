import type { FastifyInstance } from 'fastify'
import type { ServedStream } from '../catalog.js'
import { openApiSpec } from '../openapi.js'
import { uiHtml, uiScript } from '../ui-page.js'

export interface PageRouteDeps {
  catalog: () => ReadonlyMap<string, ServedStream>
  /** The platform's AsyncAPI document, as last generated (start and every reload). */
  asyncapi: () => unknown
  version: string
  uiEnabled: boolean
}

/**
 * EventStreams' other routes: `/` redirects to the UI (or the documentation), `/?spec` is the
 * OpenAPI document, `/?asyncapi` the AsyncAPI document of the platform, `/?doc` a page listing the streams, `/rc` the old RCStream address, and
 * `/v2/ui` the browser page.
 */
export function pageRoutes (deps: PageRouteDeps) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/', async (request, reply) => {
      const query = request.query as Record<string, unknown>
      if (query.spec !== undefined) return reply.type('application/json; charset=utf-8').send(openApiSpec(deps.catalog(), deps.version))
      if (query.asyncapi !== undefined) return reply.type('application/json; charset=utf-8').send(deps.asyncapi())
      if (query.doc !== undefined) return reply.type('text/html; charset=utf-8').send(docPage(deps.catalog()))
      return reply.redirect(deps.uiEnabled ? '/v2/ui' : '/?doc', 303)
    })
    app.get('/rc', async (_request, reply) => reply.redirect('/?doc', 301))
    if (!deps.uiEnabled) return
    app.get('/v2/ui', async (_request, reply) => reply.type('text/html; charset=utf-8').send(uiHtml))
    app.get('/v2/ui/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(uiHtml))
    app.get('/v2/ui/app.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(uiScript))
  }
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function docPage (catalog: ReadonlyMap<string, ServedStream>): string {
  const rows = [...catalog.values()].map((s) => `<tr><td><a href="/v2/stream/${encodeURIComponent(s.name)}"><code>${escapeHtml(s.name)}</code></a></td><td>${escapeHtml(s.description)}</td><td>${s.topics.map((t) => `<code>${escapeHtml(t)}</code>`).join(' ')}</td></tr>`).join('\n')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice streams: API</title></head><body>
<h1>Sluice streams</h1>
<p><code>GET /v2/stream/{streams}</code> streams events as Server-Sent Events (or newline-delimited JSON with <code>Accept: application/json</code>). The OpenAPI document is at <a href="/?spec">/?spec</a>, the AsyncAPI document of every stream at <a href="/?asyncapi">/?asyncapi</a>; the live page at <a href="/v2/ui">/v2/ui</a>.</p>
<table><thead><tr><th>Stream</th><th>Description</th><th>Topics</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`
}
