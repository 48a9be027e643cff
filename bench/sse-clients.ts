import { request } from 'node:http'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { Agent } from 'node:http'

// The stream clients of the stream-service figures, in a process of their own so that the load
// generator does not share the parent's event loop. Each client is a raw HTTP request whose body
// is scanned as bytes: it counts `event: message` frames and reads the producer's timestamp
// (the `"bench_t":` field the events carry first) to histogram the latency from production to
// receipt, with one clock read per chunk. Nothing is decoded or parsed as JSON.
//
// IPC, parent → child:
//   {cmd: 'open', url, count}  opens `count` clients; answers {opened, failed} once each got its first byte
//   {cmd: 'reset'}             zeroes the counters and the histogram (the measurement window starts)
//   {cmd: 'report'}            answers with the counters since the last reset
//   {cmd: 'close'}             destroys every client; answers {closed}
// The child answers {ready: true} once it is listening for commands.

type Command =
  | { cmd: 'open', url: string, count: number }
  | { cmd: 'reset' }
  | { cmd: 'report' }
  | { cmd: 'close' }

export interface ClientsReport {
  /** `event: message` frames received by all clients since the reset. */
  deliveries: number
  /** Frames whose producer timestamp was read (all of them, normally). */
  stamped: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  elapsedMs: number
  /** CPU time of this process (user + system) since the reset. */
  cpuMs: number
  open: number
  /** Clients whose response ended or failed since they were opened. */
  lost: number
}

const EVENT = Buffer.from('event: message\n')
const STAMP = Buffer.from('"bench_t":')
const STAMP_DIGITS = 13
const HIST_MAX_MS = 60000

const histogram = new Uint32Array(HIST_MAX_MS + 1)
let deliveries = 0
let stamped = 0
let lost = 0
let since = performance.now()
let cpuSince = process.cpuUsage()

interface Client { req: ClientRequest, res: IncomingMessage | undefined }
const clients = new Set<Client>()
// One agent without pooling limits: each client has its own socket, as browsers' EventSources do.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity })

function readStamp (buf: Buffer, at: number): number {
  let value = 0
  for (let i = 0; i < STAMP_DIGITS; i++) value = value * 10 + (buf[at + i]! - 48)
  return value
}

/** Scans one client's bytes; the carry is the unfinished frame (from its `event:` line) or the bytes that might start one. */
function scanner (): (chunk: Buffer) => void {
  let carry: Buffer | undefined
  return (chunk) => {
    const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk])
    carry = undefined
    const now = Date.now()
    let pos = 0
    for (;;) {
      const m = buf.indexOf(EVENT, pos)
      if (m < 0) {
        // A chunk that ends with a whole frame leaves nothing to carry (the usual case: servers
        // write whole frames), so the next chunk is scanned in place, without a copy.
        if (buf.length >= 2 && buf[buf.length - 1] === 10 && buf[buf.length - 2] === 10) return
        const keep = Math.max(pos, buf.length - EVENT.length + 1)
        if (keep < buf.length) carry = Buffer.from(buf.subarray(keep))
        return
      }
      const s = buf.indexOf(STAMP, m + EVENT.length)
      const end = s < 0 ? -1 : s + STAMP.length + STAMP_DIGITS
      if (s < 0 || end > buf.length) {
        // The frame is not complete yet: keep it for the next chunk (frames are about 1 KB).
        carry = Buffer.from(buf.subarray(m))
        return
      }
      deliveries++
      const latency = now - readStamp(buf, s + STAMP.length)
      if (latency >= 0 && Number.isFinite(latency)) {
        histogram[Math.min(latency, HIST_MAX_MS)]!++
        stamped++
      }
      pos = end
    }
  }
}

function percentile (q: number): number {
  if (stamped === 0) return Number.NaN
  const rank = Math.ceil(q * stamped)
  let seen = 0
  for (let ms = 0; ms <= HIST_MAX_MS; ms++) {
    seen += histogram[ms]!
    if (seen >= rank) return ms
  }
  return HIST_MAX_MS
}

function maxLatency (): number {
  for (let ms = HIST_MAX_MS; ms >= 0; ms--) if (histogram[ms]! > 0) return ms
  return Number.NaN
}

async function openOne (url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client: Client = { req: request(url, { agent, headers: { accept: 'text/event-stream' } }), res: undefined }
    let settled = false
    const settle = (ok: boolean): void => {
      if (settled) return
      settled = true
      resolve(ok)
    }
    client.req.on('error', () => {
      if (clients.delete(client)) lost++
      settle(false)
    })
    client.req.on('response', (res) => {
      client.res = res
      if (res.statusCode !== 200) {
        res.resume()
        clients.delete(client)
        settle(false)
        return
      }
      const scan = scanner()
      res.once('data', () => { settle(true) })
      res.on('data', scan)
      res.on('close', () => {
        if (clients.delete(client)) lost++
        settle(false)
      })
    })
    clients.add(client)
    client.req.end()
  })
}

async function open (url: string, count: number): Promise<{ opened: number, failed: number }> {
  // Opened in waves so that the service sees a crowd arrive, not a single burst of `count` handshakes.
  let opened = 0
  let failed = 0
  const wave = 100
  for (let i = 0; i < count; i += wave) {
    const results = await Promise.all(Array.from({ length: Math.min(wave, count - i) }, async () => openOne(url)))
    for (const ok of results) if (ok) opened++; else failed++
  }
  return { opened, failed }
}

function reset (): void {
  histogram.fill(0)
  deliveries = 0
  stamped = 0
  since = performance.now()
  cpuSince = process.cpuUsage()
}

function report (): ClientsReport {
  const cpu = process.cpuUsage(cpuSince)
  return {
    deliveries,
    stamped,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: maxLatency(),
    elapsedMs: performance.now() - since,
    cpuMs: (cpu.user + cpu.system) / 1000,
    open: clients.size,
    lost
  }
}

function closeAll (): number {
  const n = clients.size
  for (const client of [...clients]) {
    clients.delete(client)
    client.req.destroy()
  }
  lost = 0
  return n
}

process.on('message', (message: Command) => {
  switch (message.cmd) {
    case 'open':
      void open(message.url, message.count).then((result) => process.send?.(result))
      break
    case 'reset':
      reset()
      process.send?.({ reset: true })
      break
    case 'report':
      process.send?.(report())
      break
    case 'close':
      process.send?.({ closed: closeAll() })
      break
  }
})
process.on('disconnect', () => {
  closeAll()
  agent.destroy()
})
process.send?.({ ready: true })
