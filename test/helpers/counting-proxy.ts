import { createServer, connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A TCP proxy in front of one broker that counts the connections it accepted: what the broker
 * would count, for a client that only ever talks to its bootstrap address (a health probe).
 */
export interface CountingProxy {
  /** `127.0.0.1:<port>` */
  address: string
  readonly accepted: number
}

export async function startCountingProxy (t: { after: (fn: () => void) => void }, target: string): Promise<CountingProxy> {
  const [host, port] = target.split(':') as [string, string]
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((client) => {
    accepted++
    const upstream = connect(Number(port), host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => { client.destroy(); upstream.destroy() })
      socket.on('close', () => { sockets.delete(socket); client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get accepted () { return accepted }
  }
}
