import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadChangepropConfig } from '../../src/changeprop/config.js'
import { RuleInvalidError } from '../../src/changeprop/errors.js'
import { ConfigInvalidError } from '../../src/errors.js'

test('without a file every key has its default', async () => {
  const config = await loadChangepropConfig(undefined, {})
  assert.equal(config.port, 7272)
  assert.equal(config.service_name, 'changeprop')
  assert.equal(config.topic_prefix, '')
  assert.equal(config.concurrency, 30)
  assert.equal(config.retry_limit, 2)
  assert.equal(config.retry_delay, 60000)
  assert.equal(config.retry_factor, 6)
  assert.deepEqual(config.retry_on, { status: ['5xx'] })
  assert.deepEqual(config.ignore, { status: [412] })
  assert.equal(config.discard_canary_events, true)
  assert.deepEqual(config.dedupe, { enabled: true, window_ms: 3600000, max_entries: 100000 })
  assert.deepEqual(config.kafka.brokers, [])
  assert.deepEqual(config.rules, {})
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.kafka))
})

test('PORT and KAFKA_BROKERS override the file, and overrides merge under them', async () => {
  const config = await loadChangepropConfig(undefined, { PORT: '9000', KAFKA_BROKERS: 'a:1, b:2' }, { port: 1, kafka: { client_id: 'x' }, service_name: 'cp' })
  assert.equal(config.port, 9000)
  assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2'])
  assert.equal(config.kafka.client_id, 'x')
  assert.equal(config.kafka.commit_interval_ms, 500)
  assert.equal(config.service_name, 'cp')
})

test('0 means zero', async () => {
  const config = await loadChangepropConfig(undefined, {}, { retry_limit: 0, retry_delay: 0, shutdown_timeout_ms: 0, kafka: { commit_interval_ms: 0 } })
  assert.equal(config.retry_limit, 0)
  assert.equal(config.retry_delay, 0)
  assert.equal(config.shutdown_timeout_ms, 0)
  assert.equal(config.kafka.commit_interval_ms, 0)
  await assert.rejects(loadChangepropConfig(undefined, {}, { concurrency: 0 }), /concurrency: must be >= 1/)
})

test('unknown keys and bad values are refused with their names', async () => {
  await assert.rejects(loadChangepropConfig(undefined, {}, { kafka: { brokerz: [] } } as never), (err: unknown) => {
    assert.ok(err instanceof ConfigInvalidError)
    assert.match(err.message, /kafka\.brokerz: unknown key/)
    return true
  })
  await assert.rejects(loadChangepropConfig(undefined, {}, { retry_on: { status: '5xx', headers: {} } } as never), /retry_on\.headers: unknown key/)
})

test('rules come from the file and from rules_dir, relative to the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cp-config-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(join(dir, 'rules'))
  await writeFile(join(dir, 'rules', 'one.yaml'), 'from_dir:\n  topic: a\n  exec: { uri: "http://x/{{message.meta.uri}}" }\n')
  await writeFile(join(dir, 'cp.yaml'), 'topic_prefix: eqiad.\nrules_dir: rules\nrules:\n  inline:\n    topic: b\n')
  const config = await loadChangepropConfig(join(dir, 'cp.yaml'), {})
  assert.deepEqual(Object.keys(config.rules).sort(), ['from_dir', 'inline'])
  assert.equal(config.topic_prefix, 'eqiad.')
  assert.ok(Object.isFrozen(config.rules.from_dir))

  await writeFile(join(dir, 'rules', 'two.yaml'), 'broken:\n  topic: c\n  exec: { uri: "http://x/", headers: { a: "{{date(}}" } }\n')
  await assert.rejects(loadChangepropConfig(join(dir, 'cp.yaml'), {}), (err: unknown) => {
    assert.ok(err instanceof RuleInvalidError)
    assert.match(err.message, /rule 'broken' \(.*two\.yaml\) at '\/exec\/headers\/a'/)
    return true
  })
})

test('the example configuration and rules load', async () => {
  const file = fileURLToPath(new URL('../../config/changeprop.yaml', import.meta.url))
  const config = await loadChangepropConfig(file, {})
  assert.deepEqual(Object.keys(config.rules).sort(), ['mobile_rerender', 'page_edit', 'summary_rerender'])
  assert.equal(config.topic_prefix, 'datacenter1.')
})

test('the Kafka health check keys are shared with the gateway: same defaults, bad values refused by name', async () => {
  const config = await loadChangepropConfig(undefined, {})
  assert.equal(config.kafka.health_check_interval_ms, 2000)
  assert.equal(config.kafka.health_check_timeout_ms, 2000)
  await assert.rejects(loadChangepropConfig(undefined, {}, { kafka: { health_check_timeout_ms: 50 } }), (err: Error) => {
    assert.ok(err instanceof ConfigInvalidError)
    assert.match(err.message, /kafka\.health_check_timeout_ms: must be >= 100/)
    return true
  })
})

test('consume_topic_prefixes: unset is only the own prefix; an empty list, repeats and bad characters are refused by name', async () => {
  const config = await loadChangepropConfig(undefined, {}, { topic_prefix: 'eqiad.' })
  assert.equal(config.consume_topic_prefixes, undefined)
  assert.equal(config.takeover_lookback_ms, 600000)
  for (const bad of [{ consume_topic_prefixes: [] }, { consume_topic_prefixes: ['eqiad.', 'eqiad.'] }, { consume_topic_prefixes: ['eq iad.'] }]) {
    await assert.rejects(loadChangepropConfig(undefined, {}, bad as never), /consume_topic_prefixes/, JSON.stringify(bad))
  }
  await assert.rejects(loadChangepropConfig(undefined, {}, { takeover_lookback_ms: -1 }), /takeover_lookback_ms/)
})

test('a rule calling /sys/partition/ needs partitioner; the MediaWiki API and partitioner templates are checked at load', async () => {
  const partitionRule = { jobs: { topic: 'mediawiki.job.refreshLinks', exec: { method: 'post', uri: '/sys/partition/', body: '{{globals.message}}' } } }
  await assert.rejects(loadChangepropConfig(undefined, {}, { rules: partitionRule }), /jobs.*\/sys\/partition\/ needs partitioner/)
  const loaded = await loadChangepropConfig(undefined, {}, { rules: partitionRule, partitioner: { stream: 'partitioned.{{message.meta.stream}}', partition_key: 'database', partition_map: { enwiki: 0 }, partition_default: 1 } })
  assert.deepEqual(Object.keys(loaded.rules), ['jobs'])
  assert.equal(loaded.mediawiki_api.limit, 500)
  assert.equal(loaded.purge.stream, 'resource-purge')
  await assert.rejects(loadChangepropConfig(undefined, {}, { mediawiki_api: { uri: 'https://{{message.meta.domain/w/api.php' } }), /mediawiki_api: /)
})
