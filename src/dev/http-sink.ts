import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../logger.js'

export interface HttpSink {
  url: string
  /** Requests received so far (method, url, a body excerpt). */
  received: number
  close(): Promise<void>
}

/** Longest body excerpt logged per request. */
const maxLoggedBody = 2000

/**
 * A local stand-in for the services change-propagation rules call (RESTBase, purge
 * endpoints…), so the example rules run on one machine: it answers 200 and logs each request.
 */
export async function startHttpSink (options: { host: string, port: number, logger: Logger }): Promise<HttpSink> {
  const log = options.logger.child({ module: 'http-sink' })
  let received = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxLoggedBody) chunks.push(chunk)
    })
    req.on('end', () => {
      received++
      log.info({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8').slice(0, maxLoggedBody) }, 'sink received a request')
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${options.host}:${address.port}`,
    get received () { return received },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
