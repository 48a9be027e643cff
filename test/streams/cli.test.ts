import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runStreamsCommand } from '../../src/cli/streams.js'
import { loadStreamsConfig } from '../../src/streams/index.js'
import { captureIO } from '../helpers/io.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('--help prints the usage', async () => {
  const cli = captureIO({}, root)
  assert.equal(await runStreamsCommand(['--help'], cli.io), 0)
  assert.match(cli.out(), /Usage: sluice streams/)
})

test('no brokers is a usage error; unknown options too', async () => {
  const cli = captureIO({}, root)
  assert.equal(await runStreamsCommand([], cli.io), 2)
  assert.match(cli.err(), /no Kafka brokers configured/)
  const bad = captureIO({}, root)
  assert.equal(await runStreamsCommand(['--nope'], bad.io), 2)
})

test('a bad config stops startup naming every bad key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-streams-cli-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'streams.yaml')
  await writeFile(file, 'heartbeat_interval_ms: -1\nmax_client_buffer_bytes: 10\nsurprise: 1\n')
  const cli = captureIO({}, root)
  assert.equal(await runStreamsCommand(['--config', file], cli.io), 1)
  assert.match(cli.err(), /heartbeat_interval_ms/)
  assert.match(cli.err(), /max_client_buffer_bytes/)
  assert.match(cli.err(), /surprise/)
})

test('the example config validates; PORT and KAFKA_BROKERS override it', async () => {
  const config = await loadStreamsConfig(join(root, 'config/streams.yaml'), { PORT: '9999', KAFKA_BROKERS: 'k1:9092,k2:9092' })
  assert.equal(config.port, 9999)
  assert.deepEqual(config.kafka.brokers, ['k1:9092', 'k2:9092'])
  assert.deepEqual(config.stream_config_defaults, { topic_prefixes: ['datacenter1.'] })
  assert.equal(config.heartbeat_interval_ms, 15000)
})
