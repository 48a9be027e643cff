import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { buildTestGateway, createCapturingProducer } from '../helpers/gateway.js'
import { testTmpDir } from '../helpers/kafka.js'

function canaryLines (metrics: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith('sluice_gateway_canary_events_total{'))
}

test('accepted canary events count per stream; every exact stream with canary_events_enabled starts at 0', async (t) => {
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-canary-count-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'streams.yaml'), yaml.dump({
    'test.event': { schema_title: 'test/event', canary_events_enabled: true },
    'quiet.event': { schema_title: 'test/event', canary_events_enabled: true },
    'other.event': { schema_title: 'test/event' },
    '/^test\\.regex\\..+$/': { schema_title: 'test/event', canary_events_enabled: true }
  }))
  const producer = createCapturingProducer()
  const { app } = await buildTestGateway(t, { producer, config: { stream_config_uri: join(dir, 'streams.yaml') } })
  const metrics = async (): Promise<string[]> => canaryLines((await app.inject({ method: 'GET', url: '/metrics' })).body)
  assert.deepEqual(await metrics(), ['sluice_gateway_canary_events_total{stream="test.event"} 0', 'sluice_gateway_canary_events_total{stream="quiet.event"} 0'])

  const event = (stream: string, domain: string): Record<string, unknown> => ({ $schema: '/test/event/1.0.0', meta: { stream, domain }, test: 'x' })
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: [event('test.event', 'canary'), event('test.event', 'en.wikipedia.org'), event('other.event', 'canary'), event('test.regex.a', 'canary'), { ...event('test.event', 'canary'), test: 42 }] })
  assert.equal(res.statusCode, 207, res.body)
  assert.deepEqual(await metrics(), [
    'sluice_gateway_canary_events_total{stream="test.event"} 1',
    'sluice_gateway_canary_events_total{stream="quiet.event"} 0',
    'sluice_gateway_canary_events_total{stream="other.event"} 1',
    'sluice_gateway_canary_events_total{stream="/^test\\\\.regex\\\\..+$/"} 1'
  ], 'an invalid canary is not counted')
})
