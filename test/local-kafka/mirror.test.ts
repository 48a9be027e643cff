import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { runKafkaCommand } from '../../src/cli/kafka.js'
import { datacenterTopics, mirrorProperties } from '../../src/local-kafka/index.js'
import { captureIO } from '../helpers/io.js'

// The mirror itself runs against two real clusters in test/multi-datacenter.test.ts.

const root = fileURLToPath(new URL('../..', import.meta.url))

test('a datacenter\'s topics are its prefix, with regex characters escaped', () => {
  assert.equal(datacenterTopics('eqiad'), 'eqiad\\..*')
  assert.ok(new RegExp(`^${datacenterTopics('eqiad')}$`).test('eqiad.mediawiki.revision-create'))
  assert.ok(!new RegExp(`^${datacenterTopics('eqiad')}$`).test('codfw.mediawiki.revision-create'))
  assert.ok(!new RegExp(`^${datacenterTopics('eqiad')}$`).test('eqiadx.y'))
})

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

test('sluice kafka mirror refuses what it cannot run, naming the options', async () => {
  for (const args of [['mirror'], ['mirror', '--from', 'k1:9092', '--to', 'nope'], ['mirror', '--from', 'k1:9092', '--to', 'k2:9092'], ['mirror', '--from', 'k1:9092', '--to', 'k2:9092', '--datacenter', 'eq.iad']]) {
    const cli = captureIO({}, root)
    assert.equal(await runKafkaCommand(args, cli.io), 2, args.join(' '))
    assert.match(cli.err(), /--from|--datacenter/)
  }
})
