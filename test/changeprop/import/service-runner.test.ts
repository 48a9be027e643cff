import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { importServiceRunnerConfig, isServiceRunnerConfig, loadChangepropConfig } from '../../../src/changeprop/index.js'
import { runChangepropCommand } from '../../../src/cli/changeprop.js'
import { captureIO } from '../../helpers/io.js'

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/changeprop/wikimedia/${name}`, import.meta.url))
const read = async (name: string): Promise<unknown> => yaml.load(await readFile(fixture(name), 'utf8'))

test('Wikimedia\'s three configurations are recognised and every one of their 27 rules loads (before this work, 17 did)', async () => {
  const counts: Record<string, number> = {}
  for (const name of ['config.example.wikimedia.yaml', 'config.jobqueue.wikimedia.yaml', 'config.test.yaml']) {
    assert.equal(isServiceRunnerConfig(await read(name)), true)
    counts[name] = Object.keys((await loadChangepropConfig(fixture(name), {})).rules).length
  }
  assert.deepEqual(counts, { 'config.example.wikimedia.yaml': 18, 'config.jobqueue.wikimedia.yaml': 4, 'config.test.yaml': 5 })
  assert.equal(isServiceRunnerConfig({ rules: {}, kafka: {} }), false, 'a Sluice configuration')
})

test('the import maps the queue, limit, dedupe, purge, links and partition modules, and keeps the reference\'s defaults', async () => {
  const example = importServiceRunnerConfig(await read('config.example.wikimedia.yaml')).config
  assert.equal(example.topic_prefix, 'test_dc.')
  assert.deepEqual(example.kafka, { brokers: ['127.0.0.1:9092'] })
  assert.equal(example.concurrency, 250)
  assert.equal(example.user_agent, 'SampleChangePropInstance')
  assert.deepEqual(example.limiters, { blacklist: [{ interval_ms: 604800000, limit: 100 }] })
  assert.deepEqual(example.purge, { htcp: { host: '127.0.0.1', port: 4321 } })
  assert.deepEqual(example.mediawiki_api, { uri: 'https://{{message.meta.domain}}/w/api.php', headers: { host: '{{message.meta.domain}}' }, params: { formatversion: 2 } })
  assert.deepEqual(example.dedupe, { enabled: false }, 'no /sys/dedupe: the reference did not deduplicate')
  assert.deepEqual(example.retry_on, { status: ['50x'] })
  assert.equal(example.timeout, 420000)
  const rules = example.rules as Record<string, Record<string, unknown>>
  assert.deepEqual((rules.rerender_restbase?.cases as Array<{ exec: Record<string, unknown> }>)[0]?.exec, { method: 'get', uri: 'https://{{message.meta.domain}}/api/rest_v1/page/html/{{match.meta.uri.title}}', headers: { 'cache-control': 'no-cache' } }, 'refirect dropped')

  const jobs = importServiceRunnerConfig(await read('config.jobqueue.wikimedia.yaml')).config
  assert.deepEqual(jobs.redis, { url: 'redis://localhost:6379', key_prefix: 'CPJQ' })
  assert.deepEqual(jobs.dedupe, { enabled: true })
  const partitioner = jobs.partitioner as Record<string, unknown>
  assert.equal(partitioner.stream, 'mediawiki.job.refreshLinks_partitioned')
  assert.equal(partitioner.partition_key, 'database')
  assert.equal(partitioner.partition_default, 2)
  assert.equal((partitioner.partition_map as Record<string, number>).wikidatawiki, 7)

  const tests = importServiceRunnerConfig(await read('config.test.yaml')).config
  assert.equal(tests.topic_prefix, 'test_dc.')
  assert.equal(tests.consume_topic_prefixes, undefined, 'consume_dc and produce_dc are the same')
})

test('every setting is reported as mapped, defaulted or dropped, with a reason', async () => {
  const { report } = importServiceRunnerConfig(await read('config.example.wikimedia.yaml'))
  assert.ok(report.entries.every((entry) => entry.reason.length > 10), 'each has a reason')
  const dropped = report.entries.filter((e) => e.action === 'dropped').map((e) => e.path)
  for (const path of ['num_workers', 'spec.paths./sys/queue.x-modules[0].options.startup_delay', 'spec.paths./sys/queue.x-modules[0].options.consumer', 'spec.paths./sys/queue.x-modules[0].options.templates.rerender_restbase.cases[0].exec.refirect']) {
    assert.ok(dropped.includes(path), path)
  }
  const mapped = report.entries.filter((e) => e.action === 'mapped').map((e) => `${e.path} -> ${String(e.to)}`)
  assert.ok(mapped.includes('spec.paths./sys/queue.x-modules[0].options.dc_name -> topic_prefix'))
  assert.ok(mapped.includes('spec.paths./sys/purge.x-modules[0].options -> purge.htcp'))
  assert.ok(report.entries.some((e) => e.action === 'defaulted' && e.path === 'retry_on'))
})

test('a rule calling /sys/ores/ is dropped with the reason, so the others load; a Sluice configuration naming it is refused', async () => {
  const spec = {
    spec: {
      paths: {
        '/sys/ores': { 'x-modules': [{ path: 'sys/ores_updates.js', options: { ores_precache_uris: ['https://ores.wikimedia.org/v3/precache'] } }] },
        '/sys/queue': {
          'x-modules': [{
            path: 'sys/kafka.js',
            options: {
              templates: {
                ores_cache: { topic: 'mediawiki.revision-create', exec: { method: 'post', uri: '/sys/ores/', query: { postevent: true }, body: '{{globals.message}}' } },
                page_edit: { topic: 'mediawiki.revision-create', exec: { uri: 'https://{{message.meta.domain}}/x' } }
              }
            }
          }]
        }
      }
    }
  }
  const { config, report } = importServiceRunnerConfig(spec)
  assert.deepEqual(Object.keys(config.rules as object), ['page_edit'])
  const reason = report.entries.find((e) => e.path.endsWith('templates.ores_cache'))?.reason ?? ''
  assert.match(reason, /ORES is retired.*Lift Wing/)
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ores-'))
  try {
    const file = join(dir, 'changeprop.yaml')
    await writeFile(file, yaml.dump({ rules: { ores_cache: { topic: 'x', exec: { method: 'post', uri: '/sys/ores/', body: '{{globals.message}}' } } } }))
    await assert.rejects(loadChangepropConfig(file, {}), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_ERR_CHANGEPROP_RULE_INVALID')
      assert.match(err.message, /'\/sys\/ores\/' is not supported: ORES is retired; Lift Wing/)
      return true
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('sluice changeprop import writes the Sluice configuration, which loads as it is, and reports to stderr; --check lists the report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-import-'))
  try {
    const out = join(dir, 'changeprop.yaml')
    const io = captureIO({}, dir)
    assert.equal(await runChangepropCommand(['import', fixture('config.jobqueue.wikimedia.yaml'), '--output', out], io.io), 0)
    assert.match(io.err(), /^mapped \(\d+\):/m)
    assert.match(io.err(), /^dropped \(\d+\):/m)
    assert.deepEqual(Object.keys((await loadChangepropConfig(out, {})).rules), ['updateBetaFeaturesUserCounts', 'htmlCacheUpdate', 'refreshLinks_partitioner', 'refreshLinks'])

    const check = captureIO({}, dir)
    assert.equal(await runChangepropCommand(['--check', '--config', fixture('config.test.yaml')], check.io), 0)
    assert.match(check.out(), /a Wikimedia Change Propagation configuration, read as:/)
    assert.match(check.out(), /5 rules valid: simple_test_rule, redirect_testing_rule, kafka_producing_rule, sample_testing_rule, array_rule/)

    const notReference = captureIO({}, dir)
    assert.equal(await runChangepropCommand(['import', out], notReference.io), 1)
    assert.match(notReference.err(), /not a Wikimedia Change Propagation \(service-runner\) configuration/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('delayed execution is imported as the reference ran it: every rule waits for its events\' delay_until, unless disable_delayed_execution', async () => {
  const queue = (options: Record<string, unknown>): unknown => ({
    spec: {
      paths: {
        '/sys/queue': {
          'x-modules': [{
            path: 'sys/kafka.js',
            options: {
              ...options,
              templates: {
                cdn_purge: { topic: 'mediawiki.job.cdnPurge', exec: { method: 'post', uri: 'https://jobrunner/rpc', body: '{{globals.message}}' } },
                eager: { topic: 'mediawiki.job.x', disable_delayed_execution: true, reenqueue_delay: 3600, exec: { uri: 'https://jobrunner/x' } }
              }
            }
          }]
        }
      }
    }
  })
  const { config, report } = importServiceRunnerConfig(queue({ reenqueue_delay: 5 }))
  const rules = config.rules as Record<string, Record<string, unknown>>
  assert.equal(rules.cdn_purge?.delay_until, '{{message.delay_until}}')
  assert.equal(rules.eager?.delay_until, undefined, 'the rule turned it off')
  assert.equal(config.delay_hold_max_ms, 5000, 'reenqueue_delay, in seconds')
  assert.ok(report.entries.some((e) => e.action === 'defaulted' && e.path === 'rules.cdn_purge.delay_until'))
  assert.ok(report.entries.some((e) => e.action === 'dropped' && e.path.endsWith('templates.eager.reenqueue_delay')), 'a rule\'s own hold has no counterpart')
  const none = importServiceRunnerConfig(queue({ disable_delayed_execution: true })).config
  assert.equal((none.rules as Record<string, Record<string, unknown>>).cdn_purge?.delay_until, undefined)
})
