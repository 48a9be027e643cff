import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

/** A TCP server that accepts connections and never writes a byte: a Kafka address that hangs. */
export interface SilentServer {
  /** `127.0.0.1:<port>`. */
  address: string
  /** Connections accepted so far. */
  readonly connections: number
}

export async function startSilentServer (t: { after: (fn: () => void) => void }): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, get connections () { return connections } }
}
