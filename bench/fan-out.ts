import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createChangeprop, loadChangepropConfig } from '../src/changeprop/index.js'
import type { RuleSpec } from '../src/changeprop/index.js'
import { linksStreamOf, namingOf, topicOf } from '../src/stream-config/index.js'
import { createEventProducer, createTopics } from '../src/kafka/index.js'
import { findFreePort, startLocalBroker } from '../src/local-kafka/index.js'

// `npx tsx bench/fan-out.ts`: how long a template edit takes to re-render all of its
// dependants, end to end. A local server answers as the MediaWiki Action API does
// (`prop=transcludedin`, 500 titles a page, with `ticontinue`) and as RESTBase (200 at once);
// change propagation runs in this process with the reference's two-stage rules: the template's
// revision-create walks the dependants page by page (`/sys/links/transcludes/`), and each
// dependant's resource_change is re-rendered. The clock runs from producing the edit to the
// last re-render arriving at the server. FAN_OUT_DEPENDANTS (default 10000), FAN_OUT_RUNS
// (default 3), FAN_OUT_CONCURRENCY (the render rule's, default 100); KAFKA_BROKERS to use a
// running broker instead of starting one.

const dependants = Number(process.env.FAN_OUT_DEPENDANTS ?? 10000)
const runs = Number(process.env.FAN_OUT_RUNS ?? 3)
const concurrency = Number(process.env.FAN_OUT_CONCURRENCY ?? 100)
const transcludes = linksStreamOf('transcludes')

const rules = (): Record<string, RuleSpec> => ({
  transclusion_update: { topic: 'mediawiki.revision-create', exec: { method: 'post', uri: '/sys/links/transcludes/{message.page_title}', body: '{{globals.message}}' } },
  on_transclusion_update: {
    topic: transcludes,
    concurrency,
    cases: [
      { match: { meta: { schema_uri: 'resource_change/1', uri: '/https?:\\/\\/[^\\/]+\\/wiki\\/(?<title>.+)/' } }, exec: { uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{match.meta.uri.title}}' } },
      { match: { meta: { schema_uri: 'continue/1' } }, exec: { method: 'post', uri: '/sys/links/transcludes/{message.original_event.page_title}', body: '{{globals.message}}' } }
    ]
  }
})

interface Server { origin: string, renders: Set<string>, apiCalls: number, onRender: () => void, close: () => Promise<void> }

async function startServer (titles: readonly string[]): Promise<Server> {
  const server: Server = { origin: '', renders: new Set(), apiCalls: 0, onRender: () => {}, close: async () => {} }
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      if (req.url?.endsWith('/api.php') === true) {
        server.apiCalls++
        const params = new URLSearchParams(body)
        const start = Number((params.get('ticontinue') ?? '0|0').split('|')[1])
        const limit = Number(params.get('tilimit'))
        const page = titles.slice(start, start + limit).map((title, i) => ({ pageid: start + i, ns: 0, title }))
        const next = start + limit < titles.length ? { continue: { ticontinue: `0|${start + limit}`, continue: '||' } } : {}
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...next, query: { pages: [{ pageid: 1, ns: 10, title: params.get('titles'), transcludedin: page }] } }))
        return
      }
      server.renders.add(req.url ?? '')
      res.writeHead(200).end('{}')
      server.onRender()
    })
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const address = http.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  server.origin = `http://127.0.0.1:${address.port}`
  server.close = async () => { http.closeAllConnections(); http.close(); await once(http, 'close') }
  return server
}

async function run (brokers: string[], index: number): Promise<{ seconds: number, apiCalls: number }> {
  const titles = Array.from({ length: dependants }, (_, i) => `Page_${index}_${i}`)
  const server = await startServer(titles)
  const prefix = `fanout${randomUUID().slice(0, 6)}.`
  const config = await loadChangepropConfig(undefined, {}, {
    service_name: `fanout${index}`, port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, log_level: 'warn',
    exec_origin_override: server.origin,
    kafka: { brokers, from_beginning: true, commit_interval_ms: 200 },
    rules: rules()
  })
  const source = topicOf('mediawiki.revision-create', namingOf(prefix))
  await createTopics(brokers, [{ name: source, partitions: 1 }, { name: topicOf(transcludes, namingOf(prefix)), partitions: 1 }], {})
  const logger = pino({ level: 'warn' })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger })
  const producer = createEventProducer({ brokers, clientId: 'bench-fan-out', logger })
  try {
    await changeprop.start()
    await producer.connect()
    const done = new Promise<void>((resolve) => { server.onRender = () => { if (server.renders.size >= dependants) resolve() } })
    const edit = { meta: { stream: 'mediawiki.revision-create', uri: 'https://en.wikipedia.org/wiki/Template:Big', id: randomUUID(), dt: new Date().toISOString(), domain: 'en.wikipedia.org' }, page_title: 'Template:Big', page_namespace: 10 }
    const started = performance.now()
    await producer.send([{ topic: source, key: null, value: JSON.stringify(edit) }])
    await done
    return { seconds: (performance.now() - started) / 1000, apiCalls: server.apiCalls }
  } finally {
    await producer.close()
    await changeprop.close()
    await server.close()
  }
}

async function main (): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-fan-out-'))
  const given = process.env.KAFKA_BROKERS
  const broker = given === undefined ? await startLocalBroker({ port: await findFreePort(), dataDir: join(workDir, 'kafka'), fresh: true, jvmOptions: ['-Xms512m', '-Xmx1g'] }) : undefined
  const brokers = given?.split(',') ?? [broker?.bootstrap as string]
  try {
    const results: number[] = []
    for (let i = 0; i < runs; i++) {
      const { seconds, apiCalls } = await run(brokers, i)
      results.push(seconds)
      console.log(`run ${i + 1}: ${dependants} dependants re-rendered in ${seconds.toFixed(2)} s (${Math.round(dependants / seconds)}/s, ${apiCalls} API calls)`)
    }
    const sorted = [...results].sort((a, b) => a - b)
    console.log(`median of ${runs}: ${(sorted[Math.floor(runs / 2)] as number).toFixed(2)} s for ${dependants} dependants (render concurrency ${concurrency})`)
  } finally {
    await broker?.stop()
    await rm(workDir, { recursive: true, force: true })
  }
}

await main()
