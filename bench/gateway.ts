import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { Producer } from '@platformatic/kafka'
import yaml from 'js-yaml'
import { request } from 'undici'
import { kafkaClientOptions } from '../src/kafka/index.js'

/** A realistic MediaWiki-sized event (about 600 bytes), valid against /test/event/1.0.0. */
export function sampleEvent (i: number): Record<string, unknown> {
  return {
    $schema: '/test/event/1.0.0',
    dt: '2026-01-01T00:00:00Z',
    meta: { stream: 'test.event', domain: 'en.wikipedia.org', uri: `https://en.wikipedia.org/wiki/Page_${i}`, request_id: `bench-${i}` },
    test: 'benchmark event '.repeat(8),
    test_map: { wiki: 'enwiki', page_id: String(i), rev_id: String(1000000 + i), user: 'Example', comment: 'x'.repeat(160) }
  }
}

export interface Figure {
  name: string
  eventsPerSec: number
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  non2xx: number
}

/**
 * The ceiling: a plain @platformatic/kafka producer sending the same JSON records in batches of 100
 * with acks=-1 and four batches in flight, for `durationMs`.
 */
export async function benchPlainProducer (brokers: string[], topic: string, durationMs: number): Promise<number> {
  const producer = new Producer({ ...kafkaClientOptions({ brokers, clientId: 'bench-plain' }), autocreateTopics: true })
  const value = Buffer.from(JSON.stringify(sampleEvent(1)))
  const batch = Array.from({ length: 100 }, () => ({ topic, value }))
  await producer.send({ acks: -1, messages: batch })
  let sent = 0
  const deadline = Date.now() + durationMs
  const started = Date.now()
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < deadline) {
      await producer.send({ acks: -1, messages: batch })
      sent += batch.length
    }
  }))
  const elapsed = (Date.now() - started) / 1000
  await producer.close()
  return sent / elapsed
}

export interface RunningGateway { url: string, child: ChildProcess, stop(): Promise<void> }

/** The gateway runs in its own process so the load generator does not share its event loop. */
export async function startGatewayProcess (root: string, workDir: string, brokers: string[], port: number): Promise<RunningGateway> {
  const configFile = join(workDir, 'gateway.yaml')
  await writeFile(configFile, yaml.dump({
    port,
    listen_address: '127.0.0.1',
    log_level: 'warn',
    schema_base_uris: [join(root, 'schemas') + '/'],
    stream_config_uri: join(root, 'stream-config'),
    topic_prefix: 'bench.',
    schema_precache_uris: ['/test/event/1.0.0'],
    kafka: { brokers }
  }))
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/bin/sluice.ts'), 'gateway', '--config', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`)
    try {
      const res = await request(`${url}/readyz`)
      await res.body.dump()
      if (res.statusCode === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('gateway did not become ready')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    child,
    async stop () {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  }
}

export async function loadGateway (url: string, name: string, options: { eventsPerRequest: number, hasty: boolean, durationSec: number, connections: number }): Promise<Figure> {
  const body = JSON.stringify(Array.from({ length: options.eventsPerRequest }, (_, i) => sampleEvent(i)))
  const run = async (duration: number): Promise<autocannon.Result> => autocannon({
    url: `${url}/v1/events${options.hasty ? '?hasty=true' : ''}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: options.connections,
    pipelining: 1,
    duration
  })
  await run(2) // warm-up: JIT, schema cache, broker connections
  const result = await run(options.durationSec)
  const ok = result['2xx']
  return {
    name,
    requestsPerSec: ok / options.durationSec,
    eventsPerSec: (ok * options.eventsPerRequest) / options.durationSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx
  }
}
