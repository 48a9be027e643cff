import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

// The HTTP endpoint of the change-propagation figure, in a process of its own (as the
// services a rule calls are), so change propagation does not share its event loop.
// It answers 200 at once and reports over IPC: `{port}` once listening, then
// `{served, firstMs, lastMs}` whenever the parent sends 'report'.

let served = 0
let firstMs = 0
let lastMs = 0
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const now = performance.now()
    if (served === 0) firstMs = now
    served++
    lastMs = now
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})

process.on('message', (message) => {
  if (message === 'report') process.send?.({ served, firstMs, lastMs })
})
process.on('disconnect', () => {
  server.closeAllConnections()
  server.close()
})

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port })
})
