import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { isIP } from 'node:net'

/**
 * HTCP CLR (RFC 2756) purge packets, as the reference sent them (its `htcp-purge`
 * dependency) to the multicast group the CDN caches listen on: one datagram per URL, method
 * HEAD, version HTTP/1.0, no request headers, no authentication.
 *
 * Layout: total length (2) · major 0, minor 0 · data length (2) · opcode CLR (4) · flags
 * (0) · transaction id (4) · reserved (2) · method, URI, version and headers, each as length
 * (2) + text · authentication length (2, zero). The URI's length is at byte 20 and its text
 * starts at byte 22, which is how caches (and tests) read it.
 */
export function htcpClrPacket (url: string, transactionId: number): Buffer {
  const fields = ['HEAD', url, 'HTTP/1.0', ''].map((text) => Buffer.from(text, 'utf8'))
  const specifierBytes = fields.reduce((sum, field) => sum + 2 + field.length, 0)
  const dataLength = 8 + 2 + specifierBytes
  const packet = Buffer.alloc(4 + dataLength + 2)
  packet.writeUInt16BE(packet.length, 0) // total length; major 0, minor 0
  packet.writeUInt16BE(dataLength, 4)
  packet.writeUInt8(4, 6) // opcode CLR, response 0
  packet.writeUInt8(0, 7) // no response requested
  packet.writeUInt32BE(transactionId >>> 0, 8)
  let offset = 14 // after the CLR's reserved/reason bytes
  for (const field of fields) {
    packet.writeUInt16BE(field.length, offset)
    field.copy(packet, offset + 2)
    offset += 2 + field.length
  }
  packet.writeUInt16BE(2, offset) // AUTH length 2: no authentication
  return packet
}

export interface HtcpSettings {
  host: string
  port: number
  /** Multicast TTL (hops); used when `host` is a multicast group. */
  ttl: number
}

export interface HtcpSender {
  /** Sends one CLR per URL; resolves once every datagram was handed to the kernel. */
  purge(urls: readonly string[]): Promise<void>
  close(): Promise<void>
}

function isMulticast (host: string): boolean {
  if (isIP(host) !== 4) return false
  const first = Number(host.split('.')[0])
  return first >= 224 && first <= 239
}

export function createHtcpSender (settings: HtcpSettings): HtcpSender {
  let socket: Socket | undefined
  let transaction = Math.floor(Math.random() * 0xffffffff)
  const open = (): Socket => {
    if (socket !== undefined) return socket
    const created = createSocket('udp4')
    created.unref()
    if (isMulticast(settings.host)) {
      created.bind(() => { created.setMulticastTTL(settings.ttl) })
    }
    socket = created
    return created
  }
  return {
    async purge (urls) {
      const target = open()
      await Promise.all(urls.map(async (url) => {
        transaction = (transaction + 1) >>> 0
        const packet = htcpClrPacket(url, transaction)
        await new Promise<void>((resolve, reject) => {
          target.send(packet, settings.port, settings.host, (err) => { if (err === null) resolve(); else reject(err) })
        })
      }))
    },
    async close () {
      const open = socket
      socket = undefined
      if (open !== undefined) await new Promise<void>((resolve) => { open.close(() => { resolve() }) })
    }
  }
}
