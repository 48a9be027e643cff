import { createServer } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { streamFrame } from './stream-events.js'

// The baseline of the fan-out figures: a bare Node HTTP server, in a process of its own, that
// broadcasts the same Server-Sent Event frames as the stream service (same event, same id
// shape) to every connected client, without Kafka. It makes the events itself, at the rate the
// parent asks for, in the same ticks as the bench's producer, and writes each tick's frames to
// each client in one write.
//
// IPC, parent → child: {cmd: 'start', rate, partitions, topic} starts the events, {cmd: 'stop'} stops them
// (answers {stopped, made}: the events made since the start); the child answers {port} once listening.

type Command = { cmd: 'start', rate: number, partitions: number, topic: string } | { cmd: 'stop' }

const clients = new Set<ServerResponse>()
let timer: NodeJS.Timeout | undefined
let made = 0

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
  res.write(':ok\n\n')
  clients.add(res)
  res.on('close', () => { clients.delete(res) })
  req.resume()
})
// As the service: no request timeout on a stream that never ends.
server.requestTimeout = 0
server.headersTimeout = 0

const tickMs = 20

function start (rate: number, partitions: number, topic: string): void {
  const began = Date.now()
  made = 0
  const offsets = new Array<number>(partitions).fill(0)
  const timestamps = new Array<number>(partitions).fill(0)
  timer = setInterval(() => {
    const now = Date.now()
    const due = Math.floor(((now - began) * rate) / 1000) - made
    if (due <= 0) return
    let frames = ''
    for (let i = 0; i < due; i++) {
      const partition = (made + i) % partitions
      offsets[partition]!++
      timestamps[partition] = now
      frames += streamFrame(made + i, now, topic, partition, offsets, timestamps)
    }
    made += due
    for (const res of clients) res.write(frames)
  }, tickMs)
}

process.on('message', (message: Command) => {
  if (message.cmd === 'start') start(message.rate, message.partitions, message.topic)
  else {
    clearInterval(timer)
    process.send?.({ stopped: true, made })
  }
})
process.on('disconnect', () => {
  clearInterval(timer)
  for (const res of clients) res.destroy()
  server.close()
})

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port })
})
