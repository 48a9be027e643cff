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
