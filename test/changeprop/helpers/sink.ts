import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { startHttpServer } from '../../helpers/http-server.js'

export interface SinkRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/** Decides the answer to one request: a status, or a function that writes the response. */
export type SinkResponder = (request: SinkRequest, index: number) => number | ((res: ServerResponse) => void)

export interface HttpSink {
  origin: string
  requests: SinkRequest[]
  respond: SinkResponder
  /** Resolves once `count` requests arrived (matching `filter`), rejects after `timeoutMs`. */
  waitForRequests(count: number, options?: { timeoutMs?: number, filter?: (r: SinkRequest) => boolean }): Promise<SinkRequest[]>
  close(): Promise<void>
}

/** A local HTTP endpoint that records every request and answers as told (200 by default). */
export async function startSink (respond: SinkResponder = () => 200): Promise<HttpSink> {
  const waiters = new Set<() => void>()
  const sink: HttpSink = {
    origin: '',
    requests: [],
    respond,
    async waitForRequests (count, options = {}) {
      const filter = options.filter ?? (() => true)
      const timeoutMs = options.timeoutMs ?? 15000
      const matching = (): SinkRequest[] => sink.requests.filter(filter)
      if (matching().length >= count) return matching()
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (matching().length >= count) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`sink: ${matching().length} of ${count} request(s) within ${timeoutMs} ms: ${JSON.stringify(sink.requests.map((r) => `${r.method} ${r.path}`))}`))
        }, timeoutMs)
        waiters.add(check)
      })
      return matching()
    },
    async close () {
      await server.close()
    }
  }
  const server = await startHttpServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      const request: SinkRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() }
      const index = sink.requests.length
      sink.requests.push(request)
      const answer = sink.respond(request, index)
      if (typeof answer === 'number') res.writeHead(answer, { 'content-type': 'application/json' }).end(answer >= 400 ? JSON.stringify({ title: `status ${answer}` }) : '{}')
      else answer(res)
      for (const waiter of [...waiters]) waiter()
    })
  })
  sink.origin = server.origin
  return sink
}
