import { randomBytes, randomUUID } from 'node:crypto'
import { Agent } from 'undici'

// The baseline of the change-propagation figures: bare undici requests from a process of its
// own to the same sink, shaped as the seed rule's (GET, templated path, the rule's headers and
// query, and the headers change propagation adds), `concurrency` at a time as the rule runs, through
// an Agent set up as the service's. No Kafka, no templates, no bookkeeping.
//
// IPC, parent → child: {cmd: 'start', origin, concurrency} starts the requests; {cmd: 'stop'}
// stops them and answers {sent, failed}. The child answers {ready: true} first.

type Command = { cmd: 'start', origin: string, concurrency: number } | { cmd: 'stop' }

const agent = new Agent({ keepAliveTimeout: 4000, connections: 256 })
let running = false
let sent = 0
let failed = 0
let workers: Array<Promise<void>> = []

const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

async function worker (origin: string, first: number, step: number): Promise<void> {
  for (let i = first; running; i += step) {
    try {
      const res = await agent.request({
        origin,
        method: 'GET',
        path: `/api/rest_v1/page/html/Page_${i}/${100000 + i}?redirect=false`,
        headers: {
          'user-agent': 'sluice-changeprop',
          'cache-control': 'no-cache',
          'x-restbase-parentrevision': String(99999 + i),
          'if-unmodified-since': new Date().toUTCString(),
          'x-request-id': randomUUID(),
          'x-triggered-by': `mediawiki.revision-create:https://en.wikipedia.org/wiki/Page_${i}`,
          traceparent: `00-${hex(16)}-${hex(8)}-01`
        }
      })
      await res.body.dump()
      if (res.statusCode < 400) sent++
      else failed++
    } catch {
      failed++
    }
  }
}

process.on('message', (message: Command) => {
  if (message.cmd === 'start') {
    running = true
    workers = Array.from({ length: message.concurrency }, async (_, k) => worker(message.origin, k, message.concurrency))
  } else {
    running = false
    void Promise.all(workers).then(() => process.send?.({ sent, failed }))
  }
})
process.on('disconnect', () => {
  running = false
  void agent.close()
})

process.send?.({ ready: true })
