import type { TestContext } from 'node:test'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yaml from 'js-yaml'
import type { Registry } from 'prom-client'
import { createMetricsRegistry } from '../../src/metrics/registry.js'
import { createStreams, loadStreamsConfig } from '../../src/streams/index.js'
import type { Streams } from '../../src/streams/index.js'
import { createTopic, requireBrokers } from '../helpers/kafka.js'
import { testLogger } from '../helpers/logger.js'

/**
 * The reference's setup: stream `a` with topics eqiad.a and codfw.a (one partition each) and
 * alias `aa`, stream `b` with eqiad.b; names made unique per test so tests share one broker.
 */
export interface StreamsFixture {
  url: string
  service: Streams
  registry: Registry
  topics: { eqiadA: string, codfwA: string, eqiadB: string }
  /** The stream names as the service serves them. */
  names: { a: string, aa: string, b: string }
  /** The suffix of the names, for a second fixture serving the same streams. */
  id: string
  /** The directory holding the stream config (`streams.yaml`). */
  dir: string
  metrics(): Promise<string>
}

export interface FixtureOptions {
  config?: Record<string, unknown>
  /** Extra stream config entries (name → settings). */
  extraStreams?: Record<string, unknown>
  /** Topics of the reference setup that are not created. */
  skipTopics?: Array<'eqiadA' | 'codfwA' | 'eqiadB'>
  /** The cluster to read (default: the test run's broker); topics are created only on the test run's broker. */
  brokers?: string
  /** Reuse another fixture's stream names (two datacenters serving the same streams). */
  id?: string
}

export async function startStreamsFixture (t: TestContext, options: FixtureOptions = {}): Promise<StreamsFixture> {
  const id = options.id ?? randomUUID().slice(0, 8)
  const names = { a: `a-${id}`, aa: `aa-${id}`, b: `b-${id}` }
  const topics = { eqiadA: `eqiad.${names.a}`, codfwA: `codfw.${names.a}`, eqiadB: `eqiad.${names.b}` }
  for (const [key, topic] of Object.entries(topics)) {
    if (options.id === undefined && !(options.skipTopics ?? []).includes(key as 'eqiadA')) await createTopic(topic, 1)
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-streams-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const streamConfig = {
    [names.a]: { schema_title: 'test/event', topic_prefixes: ['eqiad.', 'codfw.'] },
    [names.b]: { schema_title: 'test/event', topics: [topics.eqiadB], description: 'Stream b.' },
    '/^regex\\..+/': { schema_title: 'test/event' },
    ...options.extraStreams
  }
  await writeFile(join(dir, 'streams.yaml'), yaml.dump(streamConfig))
  const config = await loadStreamsConfig(undefined, { KAFKA_BROKERS: options.brokers ?? requireBrokers().join(',') }, {
    port: 0,
    listen_address: '127.0.0.1',
    log_level: 'silent',
    stream_config_uri: join(dir, 'streams.yaml'),
    stream_aliases: { [names.a]: [names.aa] },
    shutdown_grace_ms: 3000,
    kafka: { fetch_max_wait_ms: 100, health_check_interval_ms: 500 },
    ...options.config
  })
  const registry = createMetricsRegistry()
  const service = await createStreams(config, { cwd: dir, logger: testLogger(), registry })
  t.after(async () => { await service.close() })
  await service.start()
  return { url: service.url!, service, registry, topics, names, id, dir, metrics: async () => registry.metrics() }
}

/** An event as the gateway writes it. */
export function testEvent (fields: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): string {
  return JSON.stringify({ $schema: '/test/event/1.0.0', meta: { stream: 'a', id: randomUUID(), dt: new Date().toISOString(), domain: 'test.example.org', ...meta }, ...fields })
}
