import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import yaml from 'js-yaml'
import { request, Agent } from 'undici'
import { buildCanaryEvent, canaryConfigSchema, planCanaries, postPlan } from '../../src/canary/index.js'
import { compileRule } from '../../src/changeprop/rules/compile.js'
import { validateConfig } from '../../src/config/load.js'
import { createGateway } from '../../src/gateway/index.js'
import { requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { openStream } from '../helpers/sse.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { testDefaults } from '../changeprop/helpers/rules.js'
import { startStreamsFixture } from '../streams/fixture.js'

// Consumers leave out the canaries `sluice canary` posts: the stream service with
// ?canary=exclude, change propagation unless a rule opts in.

const repoRoot = resolve(import.meta.dirname, '..', '..')
const repoSchemas = `${join(repoRoot, 'schemas')}/`

test('the stream service\'s ?canary=exclude leaves out a canary posted by sluice canary, and its id still moves past it', async (t) => {
  const fx = await startStreamsFixture(t)
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-canary-consumers-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const streamConfig = join(dir, 'streams.yaml')
  await writeFile(streamConfig, yaml.dump({ [fx.names.b]: { schema_title: 'test/event', canary_events_enabled: true } }))
  // The fixture's stream b is the topic eqiad.<b>: a gateway with the eqiad. prefix writes it.
  const gateway = await createGateway(testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: 'eqiad.', schema_base_uris: [repoSchemas], stream_config_uri: streamConfig, kafka: { brokers: requireBrokers() } }), { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  const events = `${await listen(gateway)}/v1/events`

  const since = Date.now() - 1000
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  const config = validateConfig({ stream_config_uri: streamConfig, schema_base_uris: [repoSchemas], gateways: { eqiad: [events] } }, canaryConfigSchema, 'test')
  const deps = { config, cwd: dir, dispatcher, logger: testLogger() }
  const report = await postPlan(await planCanaries(deps), deps)
  assert.deepEqual(report.outcomes.map((o) => o.result), ['accepted'])
  const res = await request(events, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: fx.names.b, domain: 'en.wikipedia.org' }, dt: new Date().toISOString(), test: 'real' }) })
  assert.equal(res.statusCode, 201, await res.body.text())

  const all = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=${since}`)
  const withoutCanaries = await openStream(`${fx.url}/v2/stream/${fx.names.b}?since=${since}&canary=exclude`)
  t.after(() => { all.close(); withoutCanaries.close() })
  await all.waitForMessages(2)
  await withoutCanaries.waitForMessages(1)
  assert.deepEqual(all.messages().map((m) => (m.meta as Record<string, unknown>).domain), ['canary', 'en.wikipedia.org'])
  assert.deepEqual(withoutCanaries.messages().map((m) => m.test), ['real'])
  assert.equal(withoutCanaries.lastId, all.lastId, 'the same position: a reconnect does not read the canary again')
})

test('change propagation skips a canary unless the rule sets discard_canary_events: false', async () => {
  const schema = yaml.load(await readFile(join(repoRoot, 'schemas', 'resource_change', '1.0.0.yaml'), 'utf8')) as Record<string, unknown>
  const canary = buildCanaryEvent('resource_change', schema, '/resource_change/latest')
  const options = { defaults: testDefaults, limiterTypes: new Set<string>(), dedupeByDefault: true }
  const spec = { topic: 'resource_change', exec: { uri: 'http://purge/{{message.meta.uri}}' } }
  assert.equal(compileRule('purge', spec, options).test(canary), undefined, 'skipped by default')
  assert.ok(compileRule('purge', { ...spec, discard_canary_events: false }, options).test(canary), 'the rule opts in')
  assert.ok(compileRule('purge', spec, options).test({ ...canary, meta: { ...canary.meta as object, domain: 'en.wikipedia.org' } }), 'the same event from a wiki runs')
})
