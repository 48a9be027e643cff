import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { request } from 'undici'
import { runUpCommand } from '../../src/cli/up.js'
import { fetchTopicOffsets } from '../../src/kafka/index.js'
import { localBrokerStatus } from '../../src/local-kafka/index.js'
import { mirrorTopicsPattern } from '../../src/stream-config/index.js'
import { captureIO } from '../helpers/io.js'
import { requireBrokers, testKafkaVersion, testTmpDir } from '../helpers/kafka.js'
import { openStream } from '../helpers/sse.js'
import type { StreamClient } from '../helpers/sse.js'
import { waitFor } from '../helpers/wait.js'

// `sluice up --datacenters` on its own: it starts a broker per datacenter and a MirrorMaker 2 per
// direction, as a developer's first two-datacenter run does (test/multi-datacenter.test.ts passes
// it clusters of its own instead). Two brokers, two mirrors and four services: about a minute.

const root = fileURLToPath(new URL('../..', import.meta.url))

function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => server.close(() => { resolve(true) }))
  })
}

/** A --port-offset at which every port of two datacenters (brokers and their controllers, services, the sink) is free now. */
async function freeOffset (): Promise<number> {
  const base = [9092, 9093, 8192, 8193, 8194, 7272]
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 20000 + Math.floor(Math.random() * 300) * 10
    const ports = [...base, ...base.map((p) => p + 100)].map((p) => p + offset)
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return offset
  }
  throw new Error('no free --port-offset found')
}

async function post (gateway: string, marker: string): Promise<number> {
  const res = await request(`${gateway}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: new Date().toISOString(), test: marker })
  })
  await res.body.dump()
  return res.statusCode
}

/** Records in `topic` (0 while it does not exist). */
async function recordsIn (brokers: string, topic: string): Promise<number> {
  const offsets = await fetchTopicOffsets([brokers], topic).catch(() => [])
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
}

/**
 * The event with `marker` as a stream client of `streams` receives it, once the mirror brought
 * it into that datacenter's cluster (a stream resolves its topics when it opens). The mirror is
 * waited for on its own: a new topic's first record arrives only after MirrorMaker 2 noticed the
 * topic, created it there and gave it to a task, which once took over a minute on a loaded
 * machine; a failure then says which of the two was slow.
 */
async function readThere (streams: string, brokers: string, topic: string, since: number, marker: string): Promise<Record<string, unknown>> {
  await waitFor(`the mirrored record of ${topic} in ${brokers}`, async () => await recordsIn(brokers, topic) > 0, 150_000, 200)
  let client: StreamClient | undefined
  try {
    await waitFor(`the event in ${streams}`, async () => {
      if (client === undefined || client.isEnded || client.status !== 200) {
        client?.close()
        client = await openStream(`${streams}/v2/stream/test.event?since=${since}`)
      }
      return client.messages().some((m) => m.test === marker)
    }, 60_000, 200)
    return client!.messages().find((m) => m.test === marker)!
  } finally {
    client?.close()
  }
}

test('sluice up --datacenters eqiad,codfw starts its own brokers and mirrors: posted in eqiad, read in codfw, and back', { timeout: 900_000 }, async (t) => {
  const dataDir = await mkdtemp(join(testTmpDir(), 'sluice-up-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  const offset = await freeOffset()
  const cli = captureIO({ LOG_LEVEL: 'warn', ...(testKafkaVersion() === undefined ? {} : { KAFKA_VERSION: testKafkaVersion() }) }, root)
  const started = Date.now()
  const running = runUpCommand(['--datacenters', 'eqiad,codfw', '--port-offset', String(offset), '--no-changeprop', '--data-dir', dataDir], cli.io)
  let stopped = false
  t.after(async () => {
    if (!stopped) cli.stop('SIGINT')
    await running
  })
  await waitFor('the two-datacenter platform', async () => {
    if (cli.err() !== '' && /sluice up:/.test(cli.err())) assert.fail(cli.err())
    return cli.out().includes('ready; press Ctrl-C')
  }, 300_000, 100)
  t.diagnostic(`sluice up --datacenters eqiad,codfw ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const out = cli.out()
  // Its own brokers, on the ports the help promises, and one mirror per direction between them.
  assert.match(out, new RegExp(`^eqiad kafka: broker ready at 127\\.0\\.0\\.1:${9092 + offset}$`, 'm'))
  assert.match(out, new RegExp(`^codfw kafka: broker ready at 127\\.0\\.0\\.1:${9192 + offset}$`, 'm'))
  // eqiad, the first datacenter, is the home of the legacy topics: its mirror copies those too.
  assert.ok(out.includes(`\nmirror eqiad → codfw: copying ${mirrorTopicsPattern('eqiad', 'eqiad')} from `), out)
  assert.ok(out.includes(`\nmirror codfw → eqiad: copying ${mirrorTopicsPattern('codfw', 'eqiad')} from `), out)
  assert.deepEqual((await readdir(dataDir)).sort(), [`data-${9092 + offset}`, `data-${9192 + offset}`, 'mirror-codfw-to-eqiad', 'mirror-eqiad-to-codfw'])

  const url = (dc: string, service: string): string => new RegExp(`^${dc} ${service}: listening on (\\S+)`, 'm').exec(out)![1]!
  const since = Date.now() - 1000
  const first = `eqiad-${randomUUID()}`
  assert.equal(await post(url('eqiad', 'gateway'), first), 201)
  const brokers = { eqiad: `127.0.0.1:${9092 + offset}`, codfw: `127.0.0.1:${9192 + offset}` }
  const inCodfw = await readThere(url('codfw', 'streams'), brokers.codfw, 'eqiad.test.event', since, first)
  assert.equal((inCodfw.meta as Record<string, unknown>).topic, 'eqiad.test.event')

  const second = `codfw-${randomUUID()}`
  assert.equal(await post(url('codfw', 'gateway'), second), 201)
  const inEqiad = await readThere(url('eqiad', 'streams'), brokers.eqiad, 'codfw.test.event', since, second)
  assert.equal((inEqiad.meta as Record<string, unknown>).topic, 'codfw.test.event')
  t.diagnostic(`both directions read in ${((Date.now() - started) / 1000).toFixed(1)} s from the start`)

  cli.stop('SIGINT')
  stopped = true
  assert.equal(await running, 0, cli.err())
  // What it started, it stopped.
  for (const port of [9092 + offset, 9192 + offset]) assert.equal((await localBrokerStatus(join(dataDir, `data-${port}`))).running, false)
})

/**
 * Hands out `content` at `path` once per reader, counting the readers: `path` is a named pipe,
 * replaced by a fresh one as soon as a reader opened it, so that every open (every read of the
 * file) gets a pipe of its own and is counted once.
 */
async function countedConfig (t: { after: (fn: () => void) => void }, path: string, content: string): Promise<() => number> {
  const source = `${path}.source`
  await writeFile(source, content)
  const script = `
    const fs = require('node:fs')
    const { execFileSync } = require('node:child_process')
    const { SOURCE: source, FIFO: fifo } = process.env
    const content = fs.readFileSync(source)
    execFileSync('mkfifo', [fifo])
    process.stdout.write('open\\n')
    for (let n = 0; ; n++) {
      const fd = fs.openSync(fifo, 'w') // blocks until a reader opens the pipe
      execFileSync('mkfifo', [fifo + '.' + n])
      fs.renameSync(fifo + '.' + n, fifo)
      fs.writeSync(fd, content)
      fs.closeSync(fd)
      process.stdout.write('served\\n')
    }`
  const server = spawn(process.execPath, ['-e', script], { env: { ...process.env, NODE_OPTIONS: '', SOURCE: source, FIFO: path }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { server.kill('SIGKILL') })
  let out = ''
  server.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await waitFor(`the pipe at ${path}`, () => out.startsWith('open\n'), 10_000, 10)
  return () => out.split('\n').filter((line) => line === 'served').length
}

test('sluice up reads each config file once: the gateway\'s, change propagation\'s (its rules with it) and the stream service\'s', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-up-once-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const id = randomUUID().slice(0, 8)
  // The repository's files, on topics and groups of this test's own, logging warnings only.
  const own = async (file: string): Promise<string> => {
    const text = (await readFile(join(root, file), 'utf8')).replaceAll('datacenter1.', `up${id}.`).replace('service_name: changeprop', `service_name: changeprop-${id}`)
    return yaml.dump({ ...(yaml.load(text) as Record<string, unknown>), log_level: 'warn' })
  }
  await cp(join(root, 'config/rules'), join(dir, 'rules'), { recursive: true })
  const reads = {
    gateway: await countedConfig(t, join(dir, 'gateway.yaml'), await own('config.yaml')),
    changeprop: await countedConfig(t, join(dir, 'changeprop.yaml'), await own('config/changeprop.yaml')),
    streams: await countedConfig(t, join(dir, 'streams.yaml'), await own('config/streams.yaml'))
  }
  const offset = await freeOffset()
  const cli = captureIO({ KAFKA_BROKERS: requireBrokers().join(',') }, root)
  const running = runUpCommand(['--config', join(dir, 'gateway.yaml'), '--changeprop-config', join(dir, 'changeprop.yaml'), '--streams-config', join(dir, 'streams.yaml'), '--port-offset', String(offset)], cli.io)
  let stopped = false
  t.after(async () => {
    if (!stopped) cli.stop('SIGINT')
    await running
  })
  await waitFor('the platform', () => {
    if (/sluice up:/.test(cli.err())) assert.fail(cli.err())
    return cli.out().includes('ready; press Ctrl-C')
  }, 120_000, 50)
  assert.match(cli.out(), /^gateway: listening on /m)
  assert.match(cli.out(), /^changeprop: /m)
  assert.match(cli.out(), /^streams: listening on /m)
  cli.stop('SIGTERM')
  stopped = true
  assert.equal(await running, 0, cli.err())
  // Every read ended before the platform was ready; the shutdown left time for each to be counted.
  assert.deepEqual({ gateway: reads.gateway(), changeprop: reads.changeprop(), streams: reads.streams() }, { gateway: 1, changeprop: 1, streams: 1 })
})
