import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import yaml from 'js-yaml'
import { request } from 'undici'
import { main } from '../../src/cli/main.js'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway } from '../../src/gateway/index.js'
import { readMessages, requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { captureIO } from '../helpers/io.js'
import { startPushgateway } from '../helpers/pushgateway.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'

// `sluice canary` end to end: real gateways on ports (one per datacenter, and a second eqiad
// gateway for one event service), the test run's Kafka broker, a real Prometheus Pushgateway.

const repoSchemas = `${resolve(import.meta.dirname, '..', '..', 'schemas')}/`

interface Setup {
  dir: string
  names: { one: string, two: string, off: string }
  streamConfig: string
}

/** A stream config of canary streams with unique names, and a schema repository with a schema that has no examples. */
async function setup (t: TestContext, extraStreams: Record<string, unknown> = {}): Promise<Setup> {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-canary-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const id = `cy${randomUUID().slice(0, 8)}`
  const names = { one: `${id}.one`, two: `${id}.two`, off: `${id}.off` }
  const streams = {
    [names.one]: { schema_title: 'test/event', canary_events_enabled: true },
    [names.two]: { schema_title: 'test/event', canary_events_enabled: true, destination_event_service: 'analytics' },
    [names.off]: { schema_title: 'test/event' },
    [`/^${id}\\.re\\..+$/`]: { schema_title: 'test/event', canary_events_enabled: true },
    ...extraStreams
  }
  const streamConfig = join(dir, 'streams.yaml')
  await writeFile(streamConfig, yaml.dump(streams))
  await mkdir(join(dir, 'schemas', 'quiet', 'noexample'), { recursive: true })
  // As a materialized repository has it: the version's own file, and latest naming it.
  const noExample = yaml.dump({
    title: 'quiet/noexample', $id: '/quiet/noexample/1.0.0', $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', properties: { meta: { type: 'object' } }
  })
  await writeFile(join(dir, 'schemas', 'quiet', 'noexample', '1.0.0.yaml'), noExample)
  await writeFile(join(dir, 'schemas', 'quiet', 'noexample', 'latest.yaml'), noExample)
  return { dir, names, streamConfig }
}

async function startGateway (t: TestContext, s: Setup, prefix: string, overrides: Record<string, unknown> = {}): Promise<{ gateway: Gateway, events: string }> {
  const config = testGatewayConfig({ port: 0, listen_address: '127.0.0.1', topic_prefix: prefix, schema_base_uris: [repoSchemas], stream_config_uri: s.streamConfig, kafka: { brokers: requireBrokers() }, ...overrides })
  const gateway = await createGateway(config, { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  return { gateway, events: `${await listen(gateway)}/v1/events` }
}

async function canaryCounts (gateway: Gateway): Promise<Record<string, number>> {
  const res = await request(`${gateway.url!}/metrics`)
  const text = await res.body.text()
  return Object.fromEntries([...text.matchAll(/^sluice_gateway_canary_events_total\{stream="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))
}

async function runCanary (args: string[]): Promise<{ code: number, out: string, err: string }> {
  const captured = captureIO({}, testTmpDir())
  const code = await main(['canary', ...args], captured.io)
  return { code, out: captured.out(), err: captured.err() }
}

test('sluice canary posts each canary stream\'s example, as a canary, to every datacenter\'s gateways, and pushes the run\'s metrics', async (t) => {
  const s = await setup(t)
  const eqiad = await startGateway(t, s, 'eqiad.')
  const eqiadAnalytics = await startGateway(t, s, 'eqiad.')
  const codfw = await startGateway(t, s, 'codfw.')
  const pushgateway = await startPushgateway()
  t.after(() => pushgateway.stop())
  const config = join(s.dir, 'canary.yaml')
  // As the chart's CronJob does: the stream config and the schemas are the gateway's own.
  await writeFile(config, yaml.dump({
    stream_config_uri: `${eqiad.gateway.url!}/v1/streams`,
    schema_base_uris: [`${eqiad.gateway.url!}/schemas/`],
    gateways: {
      eqiad: [eqiad.events, { url: eqiadAnalytics.events, event_service: 'analytics' }],
      codfw: [codfw.events]
    },
    pushgateway: { url: pushgateway.url, grouping: { namespace: 'canary-test' } }
  }))

  const before = Date.now()
  const run = await runCanary(['--config', config])
  assert.equal(run.code, 0, run.out + run.err)
  const { one, two, off } = s.names
  assert.deepEqual(run.out.trim().split('\n'), [
    `codfw ${one} accepted ${codfw.events}`,
    `codfw ${two} accepted ${codfw.events}`,
    `eqiad ${one} accepted ${eqiad.events}`,
    `eqiad ${two} accepted ${eqiadAnalytics.events}`,
    '4 of 4 canary events accepted (2 streams, 2 datacenters)'
  ], 'streams without canary_events_enabled, and /regex/ entries, get none')

  // Wikimedia's shape: the schema's first example, meta.domain canary, meta.stream the stream;
  // meta.dt and meta.id are the gateway's.
  for (const topic of [`eqiad.${one}`, `eqiad.${two}`, `codfw.${one}`, `codfw.${two}`]) {
    const [message] = await readMessages(topic, 1, { timeoutMs: 20000 })
    const event = JSON.parse(message!.value) as { $schema: string, dt: string, test: string, meta: { domain: string, stream: string, dt: string, id: string } }
    assert.equal(event.$schema, '/test/event/1.0.0')
    assert.equal(event.meta.domain, 'canary')
    assert.equal(event.meta.stream, topic.slice(topic.indexOf('.') + 1))
    assert.equal(event.test, 'specific test value', 'the example\'s fields')
    assert.equal(event.dt, '2024-05-01T00:00:00Z')
    assert.ok(Date.parse(event.meta.dt) >= before - 1000, `meta.dt is the intake time: ${event.meta.dt}`)
    assert.match(event.meta.id, /^[0-9a-f-]{36}$/)
  }
  assert.deepEqual(await canaryCounts(eqiad.gateway), { [one]: 1, [two]: 0 }, 'each canary stream starts at 0')
  assert.deepEqual(await canaryCounts(eqiadAnalytics.gateway), { [one]: 0, [two]: 1 }, 'destination_event_service picks the gateway')
  assert.deepEqual(await canaryCounts(codfw.gateway), { [one]: 1, [two]: 1 })
  assert.equal(off in await canaryCounts(eqiad.gateway), false)

  const pushed = await pushgateway.metrics()
  for (const [datacenter, stream] of [['eqiad', one], ['eqiad', two], ['codfw', one], ['codfw', two]] as const) {
    assert.match(pushed, new RegExp(`^sluice_canary_events\\{datacenter="${datacenter}",instance="",job="sluice_canary",namespace="canary-test",result="accepted",stream="${stream.replace('.', '\\.')}"\\} 1$`, 'm'))
    assert.match(pushed, new RegExp(`^sluice_canary_events\\{datacenter="${datacenter}",instance="",job="sluice_canary",namespace="canary-test",result="failed",stream="${stream.replace('.', '\\.')}"\\} 0$`, 'm'))
  }
  const firstSuccess = pushedValue(pushed, 'sluice_canary_last_success_timestamp_seconds')
  assert.ok(firstSuccess * 1000 >= before - 1000, 'a run whose every canary was accepted sets the last success')

  // codfw's gateway goes away: its canaries fail, the exit status says so, and the pushed group
  // keeps the last success of the run before.
  await codfw.gateway.close()
  const failed = await runCanary(['--config', config])
  assert.equal(failed.code, 1, failed.out + failed.err)
  assert.match(failed.out, new RegExp(`^codfw ${one.replace('.', '\\.')} failed ${codfw.events} SLUICE_ERR_CANARY_GATEWAY_UNREACHABLE `, 'm'))
  assert.match(failed.out, /^2 of 4 canary events accepted/m)
  const after = await pushgateway.metrics()
  assert.match(after, new RegExp(`^sluice_canary_events\\{datacenter="codfw",instance="",job="sluice_canary",namespace="canary-test",result="failed",stream="${one.replace('.', '\\.')}"\\} 1$`, 'm'))
  assert.equal(pushedValue(after, 'sluice_canary_last_success_timestamp_seconds'), firstSuccess)
  assert.ok(pushedValue(after, 'sluice_canary_last_run_timestamp_seconds') >= firstSuccess)
})

function pushedValue (text: string, metric: string): number {
  const match = new RegExp(`^${metric}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)
  assert.ok(match, `${metric} was not pushed:\n${text}`)
  return Number(match[1])
}

test('a canary that cannot be built, or that the gateway finds invalid, is reported and fails the run', async (t) => {
  const s = await setup(t, {
    'quiet.stream': { schema_title: 'quiet/noexample', canary_events_enabled: true },
    'untitled.stream': { canary_events_enabled: true }
  })
  // meta_dt_policy keep: the gateway does not fill the meta.dt the canary leaves out, and the
  // gateway's test/event (Wikimedia's, in the fixtures) requires it.
  const strict = await startGateway(t, s, 'eqiad.', { meta_dt_policy: 'keep', schema_base_uris: [`${fixturesDir}schemas/`] })
  const run = await runCanary([
    '--gateway', `eqiad=${strict.events}`,
    '--stream', 'quiet.stream', '--stream', 'untitled.stream', '--stream', s.names.one,
    '--config', await writeConfig(s, { schema_base_uris: [`${s.dir}/schemas/`, repoSchemas] })
  ])
  assert.equal(run.code, 1, run.out + run.err)
  const lines = run.out.trim().split('\n')
  assert.match(lines[0]!, new RegExp(`^eqiad ${s.names.one.replace('.', '\\.')} invalid ${strict.events} SLUICE_ERR_EVENT_INVALID .*meta`))
  assert.match(lines[1]!, /^eqiad quiet\.stream invalid SLUICE_ERR_CANARY_EXAMPLE_MISSING stream quiet\.stream: its schema \/quiet\/noexample\/latest has no examples/)
  assert.match(lines[2]!, /^eqiad untitled\.stream invalid SLUICE_ERR_STREAM_CONFIG_INCOMPLETE /)
  assert.equal(lines[3], '0 of 3 canary events accepted (3 streams, 1 datacenters)')
})

async function writeConfig (s: Setup, config: Record<string, unknown>): Promise<string> {
  const file = join(s.dir, `canary-${randomUUID().slice(0, 8)}.yaml`)
  await writeFile(file, yaml.dump({ stream_config_uri: s.streamConfig, ...config }))
  return file
}

test('--dry-run prints the POSTs and sends nothing', async (t) => {
  const s = await setup(t)
  const eqiad = await startGateway(t, s, 'eqiad.')
  const run = await runCanary(['--dry-run', '--gateway', `eqiad=${eqiad.events}`, '--config', await writeConfig(s, { schema_base_uris: [repoSchemas] })])
  assert.equal(run.code, 0, run.err)
  const plan = JSON.parse(run.out) as { posts: Array<{ datacenter: string, url: string, events: Array<{ stream: string, event: { meta: Record<string, unknown> } }> }>, outcomes: unknown[] }
  assert.deepEqual(plan.posts.map((p) => [p.datacenter, p.url, p.events.map((e) => e.stream)]), [['eqiad', eqiad.events, [s.names.one, s.names.two]]])
  assert.deepEqual(plan.posts[0]!.events[0]!.event.meta, { stream: s.names.one, domain: 'canary' })
  assert.deepEqual(await canaryCounts(eqiad.gateway), { [s.names.one]: 0, [s.names.two]: 0 })
})

test('usage and configuration errors exit 2 and name the problem', async () => {
  const noGateway = await runCanary(['--config', join(testTmpDir(), `missing-${randomUUID()}.yaml`)])
  assert.equal(noGateway.code, 2)
  assert.match(noGateway.err, /cannot read the file/)
  const badFlag = await runCanary(['--gateway', 'eqiad'])
  assert.equal(badFlag.code, 2)
  assert.match(badFlag.err, /'eqiad' is not DATACENTER=URL/)
  const secret = await runCanary(['--gateway', 'eqiad=http://127.0.0.1:1/v1/events', '--pushgateway', 'http://canary:s3cret-token@pushgateway:9091'])
  assert.equal(secret.code, 2, 'credentials in a URL are refused: every URL is printed')
  assert.match(secret.err, /pushgateway\.url: must match pattern/)
  assert.doesNotMatch(secret.err + secret.out, /s3cret-token/)
  const none = await runCanary([])
  assert.equal(none.code, 2)
  assert.match(none.err, /gateways: no gateway to post canary events to/)
})
