import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireBrokers } from '../helpers/kafka.js'
import { startOwnBroker } from '../helpers/own-broker.js'
import { waitFor } from '../helpers/wait.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>
  stdout: () => string
  stderr: () => string
  /** Resolves once stdout contains `text`. */
  printed: (text: string) => Promise<void>
  exited: Promise<[number | null, NodeJS.Signals | null]>
}

/** Runs `sluice ARGS` against the test broker; resolves once its stdout says `ready`. */
async function runSluice (t: TestContext, args: string[], ready: string, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/sluice.ts', ...args], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: requireBrokers().join(','), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const printed = async (text: string): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => { if (stdout.includes(text)) resolve() }
      child.stdout.on('data', check)
      check()
      void exited.then(([code]) => { reject(new Error(`sluice ${args[0]} exited with ${code} before printing '${text}': ${stderr}`)) })
    })
  }
  await printed(ready)
  return { child, stdout: () => stdout, stderr: () => stderr, printed, exited }
}

test('one Ctrl-C delivered twice (terminal and wrapper) still shuts down gracefully', async (t) => {
  const sluice = await runSluice(t, ['gateway'], 'listening on', { PORT: '0', LOG_LEVEL: 'warn' })
  sluice.child.kill('SIGINT')
  await sluice.printed('stopping')
  // The copy a wrapper forwards arrives while the shutdown is under way.
  sluice.child.kill('SIGINT')
  const [code] = await sluice.exited
  assert.equal(code, 0, `a graceful stop exits 0 (stderr: ${sluice.stderr()})`)
  assert.doesNotMatch(sluice.stderr(), /exiting now/)
})

test('change propagation runs in the same shell: it starts, and SIGTERM stops it with exit code 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bin-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  await writeFile(file, `service_name: bin${randomUUID().slice(0, 8)}\nport: 0\nlisten_address: 127.0.0.1\nlog_level: warn\nshutdown_timeout_ms: 3000\n`)
  const sluice = await runSluice(t, ['changeprop', '--config', file], 'running; admin')
  sluice.child.kill('SIGTERM')
  const [code] = await sluice.exited
  assert.equal(code, 0, `a graceful stop exits 0 (stderr: ${sluice.stderr()})`)
  assert.match(sluice.stdout(), /sluice changeprop: 0 rules running; admin \(metrics, health\) on port \d+\nsluice changeprop: SIGTERM, stopping\n/)
})

test('the stream service runs in the same shell: it starts on the example config, and SIGTERM stops it with exit code 0', async (t) => {
  const sluice = await runSluice(t, ['streams'], 'listening on', { PORT: '0', LOG_LEVEL: 'warn' })
  const url = /listening on (http:\/\/\S+)/.exec(sluice.stdout())![1]!
  const spec = await (await fetch(`${url}/?spec`)).json() as { paths: Record<string, unknown> }
  assert.ok('/v2/stream/test.event' in spec.paths && '/v2/stream/test' in spec.paths, 'the example streams and alias are served')
  sluice.child.kill('SIGTERM')
  const [code] = await sluice.exited
  assert.equal(code, 0, `a graceful stop exits 0 (stderr: ${sluice.stderr()})`)
  assert.match(sluice.stdout(), /sluice streams: SIGTERM, stopping\n/)
})

test('SIGTERM with the broker frozen exits within shutdown_grace_ms + 0.5 s, with exit code 1 as documented', async (t) => {
  const broker = await startOwnBroker(t)
  const graceMs = 3000
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bin-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'gateway.yaml')
  await writeFile(file, [
    'port: 0',
    'listen_address: 127.0.0.1',
    'log_level: warn',
    `shutdown_grace_ms: ${graceMs}`,
    'schema_base_uris: [schemas/]',
    'stream_config_uri: stream-config/',
    'kafka:',
    `  brokers: ['${broker.bootstrap}']`,
    '  produce_timeout_ms: 1000',
    ''
  ].join('\n'))
  const sluice = await runSluice(t, ['gateway', '--config', file], 'listening on', { KAFKA_BROKERS: broker.bootstrap })
  const url = /listening on (http:\/\/\S+)/.exec(sluice.stdout())![1]!
  const event = { $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: '2026-01-01T00:00:00Z', test: 'x' }
  const post = async (): Promise<Response> => fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })
  assert.equal((await post()).status, 201)
  broker.pause()
  t.after(() => { broker.resume() })
  // Its produce waits on a broker that never answers: the request gets its 503 at the produce
  // timeout, and the producer's flush is still waiting for the client when the grace runs out.
  const stuck = post()
  await waitFor('the record to be in flight', async () => /^sluice_kafka_produce_batches_in_flight 1$/m.test(await (await fetch(`${url}/metrics`)).text()), 5000, 10)
  const signalledAt = Date.now()
  sluice.child.kill('SIGTERM')
  assert.equal((await stuck).status, 503)
  const [code] = await sluice.exited
  const tookMs = Date.now() - signalledAt
  t.diagnostic(`exited ${code} after ${tookMs} ms`)
  assert.ok(tookMs <= graceMs + 500, `exited ${tookMs} ms after SIGTERM (shutdown_grace_ms ${graceMs})`)
  assert.equal(code, 1, `the producer's flush was abandoned, so the exit code is 1 (stderr: ${sluice.stderr()})`)
  assert.match(sluice.stderr(), /shutdown did not finish within 3000 ms/)
})
