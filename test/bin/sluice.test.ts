import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireBrokers } from '../helpers/kafka.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('one Ctrl-C delivered twice (terminal and wrapper) still shuts down gracefully', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/sluice.ts', 'gateway'], {
    cwd: root,
    env: { ...process.env, PORT: '0', KAFKA_BROKERS: requireBrokers().join(','), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('listening on')) resolve()
    })
    child.once('exit', (code) => { reject(new Error(`gateway exited with ${code} before listening: ${stderr}`)) })
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const stopping = new Promise<void>((resolve) => {
    child.stdout.on('data', () => { if (stdout.includes('stopping')) resolve() })
  })
  child.kill('SIGINT')
  await stopping
  // The copy a wrapper forwards arrives while the shutdown is under way.
  child.kill('SIGINT')
  const [code] = await exited
  assert.equal(code, 0, `a graceful stop exits 0 (stderr: ${stderr})`)
  assert.doesNotMatch(stderr, /exiting now/)
})

test('change propagation runs in the same shell: it starts, and SIGTERM stops it with exit code 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bin-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'changeprop.yaml')
  await writeFile(file, `service_name: bin${randomUUID().slice(0, 8)}\nport: 0\nlisten_address: 127.0.0.1\nlog_level: warn\nshutdown_timeout_ms: 3000\n`)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/sluice.ts', 'changeprop', '--config', file], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: requireBrokers().join(',') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('running; admin')) resolve()
    })
    child.once('exit', (code) => { reject(new Error(`changeprop exited with ${code} before running: ${stderr}`)) })
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  child.kill('SIGTERM')
  const [code] = await exited
  assert.equal(code, 0, `a graceful stop exits 0 (stderr: ${stderr})`)
  assert.match(stdout, /sluice changeprop: 0 rules running; admin \(metrics, health\) on port \d+\nsluice changeprop: SIGTERM, stopping\n/)
})
