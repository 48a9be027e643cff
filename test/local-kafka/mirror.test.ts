import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import { clusterAlias, mirrorProperties, mirrorWorkDirName } from '../../src/local-kafka/index.js'
import { captureIO } from '../helpers/io.js'
import { listGroupIds, produceMessages, readMessages, requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { startOwnBroker } from '../helpers/own-broker.js'
import { waitFor } from '../helpers/wait.js'

// The mirror itself runs against two real clusters in test/multi-datacenter.test.ts, and here as
// `sluice kafka mirror`, one process per direction.

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

test('two `sluice kafka mirror --topics` in opposite directions, started together from one directory, each copy their topics', async (t) => {
  // Unnamed clusters: each mirror must still be a MirrorMaker 2 of its own (aliases, work dir,
  // properties file, group), or the two fight over one group and one direction copies nothing.
  const a = requireBrokers()[0]!
  const b = (await startOwnBroker(t)).bootstrap
  const cwd = await mkdtemp(join(testTmpDir(), 'sluice-mirror-cli-'))
  t.after(() => rm(cwd, { recursive: true, force: true }))
  const id = randomUUID().slice(0, 8)
  const [there, back] = [`opp${id}a.events`, `opp${id}b.events`]
  const clis = [captureIO({}, cwd), captureIO({}, cwd)] as const
  const runs = [
    runKafkaCommand(['mirror', '--from', a, '--to', b, '--topics', `opp${id}a\\..*`], clis[0].io),
    runKafkaCommand(['mirror', '--from', b, '--to', a, '--topics', `opp${id}b\\..*`], clis[1].io)
  ]
  t.after(async () => {
    for (const cli of clis) cli.stop('SIGTERM')
    assert.deepEqual(await Promise.all(runs), [0, 0], clis.map((cli) => cli.err().slice(-2000)).join('\n'))
  })
  await waitFor('both mirrors to start', () => clis.every((cli) => cli.out().includes('mirroring')), 120_000)
  await produceMessages(there, [{ value: 'from a' }], { brokers: [a] })
  await produceMessages(back, [{ value: 'from b' }], { brokers: [b] })
  const [copied] = await readMessages(there, 1, { brokers: [b], timeoutMs: 60_000 })
  const [returned] = await readMessages(back, 1, { brokers: [a], timeoutMs: 60_000 })
  assert.equal(copied!.value, 'from a')
  assert.equal(returned!.value, 'from b')
  const dirs = (await readdir(join(cwd, '.cache', 'kafka'))).sort()
  assert.equal(dirs.length, 2, `one work dir per direction: ${dirs.join(', ')}`)
  assert.deepEqual(dirs, [mirrorWorkDirName({ name: clusterAlias(a), bootstrap: a }, { name: clusterAlias(b), bootstrap: b }), mirrorWorkDirName({ name: clusterAlias(b), bootstrap: b }, { name: clusterAlias(a), bootstrap: a })].sort())
  // Each direction's MirrorMaker group lives in its target cluster, named after its source.
  assert.ok((await listGroupIds([b])).includes(`${clusterAlias(a)}-mm2`))
  assert.ok((await listGroupIds([a])).includes(`${clusterAlias(b)}-mm2`))
})

test('an unnamed cluster is named by its address; a mirror whose two sides share a name is refused', async () => {
  assert.equal(clusterAlias('127.0.0.1:9092'), 'cluster-127-0-0-1-9092')
  assert.equal(clusterAlias('kafka-main1001.eqiad.wmnet:9093,kafka-main1002.eqiad.wmnet:9093'), 'cluster-kafka-main1001-eqiad-wmnet-9093')
  const cli = captureIO({}, root)
  assert.equal(await runKafkaCommand(['mirror', '--from', 'k1:9092', '--to', 'k2:9092', '--datacenter', 'eqiad', '--to-datacenter', 'eqiad'], cli.io), 2)
  assert.match(cli.err(), /both named "eqiad"/)
})
