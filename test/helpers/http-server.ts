import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { once } from 'node:events'

/** A local HTTP server on a free loopback port. */
export interface LocalHttpServer {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Drops open connections and stops listening. */
  close(): Promise<void>
}

/** Starts `handler` on 127.0.0.1; with `t`, it is closed after the test. */
export async function startHttpServer (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  t?: { after: (fn: () => Promise<void>) => void }
): Promise<LocalHttpServer> {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the server has no port')
  let closing: Promise<void> | undefined
  const local: LocalHttpServer = {
    origin: `http://127.0.0.1:${address.port}`,
    async close () {
      closing ??= (async () => {
        server.closeAllConnections()
        server.close()
        await once(server, 'close')
      })()
      return closing
    }
  }
  t?.after(async () => { await local.close() })
  return local
}
