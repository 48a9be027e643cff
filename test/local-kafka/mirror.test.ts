import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import { mirrorProperties } from '../../src/local-kafka/index.js'
import { captureIO } from '../helpers/io.js'
import { waitFor } from '../helpers/wait.js'

// The mirror itself runs against two real clusters in test/multi-datacenter.test.ts.

const root = fileURLToPath(new URL('../..', import.meta.url))

test('one direction, names kept by the identity policy, only the source\'s topics, written as Java properties', () => {
  const text = mirrorProperties({ from: { name: 'eqiad', bootstrap: 'k1:9092' }, to: { name: 'codfw', bootstrap: 'k2:9092' }, workDir: '/tmp' })
  const props = Object.fromEntries(text.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]))
  assert.equal(props.clusters, 'eqiad, codfw')
  assert.equal(props['eqiad->codfw.enabled'], 'true')
  assert.equal(props['codfw->eqiad.enabled'], 'false')
  assert.equal(props['eqiad->codfw.topics'], 'eqiad\\\\..*', 'a backslash is doubled in a properties file')
  assert.equal(props['replication.policy.class'], 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy')
  assert.equal(props['eqiad.bootstrap.servers'], 'k1:9092')
  assert.equal(props['codfw.bootstrap.servers'], 'k2:9092')
})

test('the legacy home\'s mirror also copies the bare eventlogging_ topics; the other direction never does', () => {
  const topicsOf = (from: string, to: string): string | undefined => {
    const text = mirrorProperties({ from: { name: from, bootstrap: 'k1:9092' }, to: { name: to, bootstrap: 'k2:9092' }, workDir: '/tmp', legacyTopicsHome: 'eqiad' })
    return text.split('\n').find((l) => l.startsWith(`${from}->${to}.topics = `))?.split(' = ')[1]
  }
  assert.equal(topicsOf('eqiad', 'codfw'), 'eqiad\\\\..*|eventlogging_.*')
  assert.equal(topicsOf('codfw', 'eqiad'), 'codfw\\\\..*')
})

test('sluice kafka mirror refuses what it cannot run, naming the options', async () => {
  for (const args of [['mirror'], ['mirror', '--from', 'k1:9092', '--to', 'nope'], ['mirror', '--from', 'k1:9092', '--to', 'k2:9092'], ['mirror', '--from', 'k1:9092', '--to', 'k2:9092', '--datacenter', 'eq.iad']]) {
    const cli = captureIO({}, root)
    assert.equal(await runKafkaCommand(args, cli.io), 2, args.join(' '))
    assert.match(cli.err(), /--from|--datacenter/)
  }
  const cli = captureIO({}, root)
  assert.equal(await runKafkaCommand(['mirror', '--from', 'k1:9092', '--to', 'k2:9092', '--datacenter', 'eqiad', '--legacy-topics-home', 'eq.iad'], cli.io), 2)
  assert.match(cli.err(), /--legacy-topics-home takes a datacenter name/)
})

test('a mirror dies with the process that started it, even when that process crashes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-mirror-crash-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  // A process that starts a mirror against an address nobody answers, then throws.
  const script = `
    import { startMirror } from ${JSON.stringify(new URL('../../src/local-kafka/index.js', import.meta.url).href)}
    const mirror = startMirror({ from: { name: 'eqiad', bootstrap: '127.0.0.1:1' }, to: { name: 'codfw', bootstrap: '127.0.0.1:2' }, workDir: ${JSON.stringify(dir)}, onOutput: () => {}, timeoutMs: 600000 })
    mirror.catch(() => {})
    setTimeout(() => { throw new Error('crash') }, 3000)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let jvm: number | undefined
  const findJvm = (): number | undefined => {
    try {
      const out = execFileSync('pgrep', ['-f', `${dir}/mirror-eqiad-to-codfw.properties`]).toString().trim()
      return out === '' ? undefined : Number(out.split('\n')[0])
    } catch {
      return undefined
    }
  }
  await waitFor('the mirror JVM to run', () => (jvm = findJvm()) !== undefined, 20_000)
  await new Promise((resolve) => child.once('exit', resolve))
  await waitFor('the mirror JVM to be gone', () => {
    try {
      process.kill(jvm!, 0)
      // Killed, and not yet reaped by init: a zombie holds no resources.
      return /State:\s+Z/.test(execFileSync('cat', [`/proc/${jvm!}/status`]).toString())
    } catch {
      return true
    }
  }, 10_000)
})
