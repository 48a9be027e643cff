import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { request } from 'undici'
import { createChangeprop, loadChangepropConfig } from '../../src/changeprop/index.js'
import { createGateway } from '../../src/gateway/index.js'
import { createStreams, loadStreamsConfig } from '../../src/streams/index.js'
import { fixturesDir, listen, testGatewayConfig, testLogger } from '../helpers/gateway.js'
import { testTmpDir } from '../helpers/kafka.js'
import { startSilentServer } from '../helpers/silent-server.js'
import type { SilentServer } from '../helpers/silent-server.js'

// A broker address that accepts connections and never answers (a hung broker, a wrong port
// behind a load balancer) was once reported ready. Each service's /readyz is watched here over
// several probe rounds against such an address: it must never answer 200.

const fast = { health_check_interval_ms: 100, health_check_timeout_ms: 200 }

/** Polls /readyz until the silent address has seen `rounds` probe connections; resolves to every status seen. */
async function watchReadyz (url: string, silent: SilentServer, rounds: number): Promise<number[]> {
  const statuses: number[] = []
  const deadline = Date.now() + 20000
  while (silent.connections < rounds) {
    if (Date.now() > deadline) throw new Error(`only ${silent.connections} probe connections in 20 s`)
    const res = await request(`${url}/readyz`)
    await res.body.dump()
    statuses.push(res.statusCode)
    // Ready even once is the failure: no need to wait for more rounds.
    if (res.statusCode === 200) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return statuses
}

test('the gateway is never ready on a broker address that accepts connections and never answers', async (t) => {
  const silent = await startSilentServer(t)
  const gateway = await createGateway(testGatewayConfig({ port: 0, listen_address: '127.0.0.1', kafka: { brokers: [silent.address], produce_timeout_ms: 500, ...fast } }), { cwd: fixturesDir, logger: testLogger() })
  t.after(() => gateway.close())
  const statuses = await watchReadyz(await listen(gateway), silent, 5)
  assert.ok(statuses.length > 0)
  assert.deepEqual([...new Set(statuses)], [503])
})

test('the stream service is never ready on a broker address that accepts connections and never answers', async (t) => {
  const silent = await startSilentServer(t)
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-readiness-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'streams.yaml'), yaml.dump({ 'test.event': { schema_title: 'test/event' } }))
  const config = await loadStreamsConfig(undefined, {}, { port: 0, listen_address: '127.0.0.1', log_level: 'silent', stream_config_uri: join(dir, 'streams.yaml'), shutdown_grace_ms: 1000, kafka: { brokers: [silent.address], ...fast } })
  const streams = await createStreams(config, { cwd: dir, logger: testLogger() })
  t.after(() => streams.close())
  await streams.start()
  const statuses = await watchReadyz(streams.url!, silent, 5)
  assert.ok(statuses.length > 0)
  assert.deepEqual([...new Set(statuses)], [503])
})

test('change propagation does not start on a broker address that accepts connections and never answers', async (t) => {
  const silent = await startSilentServer(t)
  const config = await loadChangepropConfig(undefined, {}, { port: 0, listen_address: '127.0.0.1', shutdown_timeout_ms: 1000, kafka: { brokers: [silent.address], ...fast }, rules: { r: { topic: 'x', exec: { uri: 'http://127.0.0.1:1/' } } } })
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: testLogger() })
  t.after(() => changeprop.close())
  await assert.rejects(changeprop.start(), { code: 'SLUICE_ERR_KAFKA_UNAVAILABLE' })
  assert.equal(changeprop.isReady(), false)
  assert.ok(silent.connections >= 1)
})
