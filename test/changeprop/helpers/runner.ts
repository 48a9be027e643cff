import type { TestContext } from 'node:test'
import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import yaml from 'js-yaml'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { createMemoryDedupeStore } from '../../../src/changeprop/dedupe.js'
import { createHttpExecutor } from '../../../src/changeprop/exec.js'
import { createMemoryLimiterStore } from '../../../src/changeprop/limiter.js'
import { compileRule } from '../../../src/changeprop/rules/compile.js'
import type { RuleSpec } from '../../../src/changeprop/rules/schema.js'
import { createRuleRunner } from '../../../src/changeprop/runner/index.js'
import type { RuleRunner } from '../../../src/changeprop/runner/index.js'
import { KafkaProduceError } from '../../../src/kafka/index.js'
import type { ConsumedMessage, ProduceRecord } from '../../../src/kafka/index.js'
import { createChangepropMetrics } from '../../../src/metrics/changeprop.js'
import { startSink } from './sink.js'
import type { HttpSink } from './sink.js'
import { testDefaults } from './rules.js'

// One rule's runner on a real HTTP sink and a producer that keeps what it is given (or fails as
// told): the per-message pipeline without Kafka.

const fixtures = new URL('../../fixtures/changeprop/', import.meta.url)

export async function loadSchema (path: string): Promise<object> {
  // The schemas name draft-07 by its https URI, which Ajv does not know; the meta-schema is not needed here.
  const schema = yaml.load(await readFile(new URL(path, fixtures), 'utf8')) as Record<string, unknown>
  delete schema.$schema
  return schema
}

export const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)
export const validateError = ajv.compile(await loadSchema('schemas/error/0.0.3.yaml'))
export const validateResourceChange = ajv.compile(await loadSchema('schemas/resource_change/1.0.0.yaml'))
/** A validator of one of the project's own schemas (schemas/), materialized with its fragments. */
async function projectValidator (path: string): Promise<ReturnType<typeof ajv.compile>> {
  const schema = JSON.parse(await readFile(new URL(`../../../schemas/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>
  delete schema.$schema
  return ajv.compile(schema)
}
export const validateRetry = await projectValidator('change-prop/retry/1.0.0.json')
/** Retry events that carry `not_before` (Retry-After). */
export const validateRetryNotBefore = await projectValidator('change-prop/retry/1.1.0.json')
export const validateDelay = await projectValidator('change-prop/delay/1.0.0.json')

export class FakeProducer {
  records: ProduceRecord[] = []
  failures = 0
  /** Topics the broker refuses for good, as it refuses a record larger than the topic allows. */
  refusing = new Set<string>()
  attempts = 0
  async send (records: readonly ProduceRecord[]): Promise<void> {
    this.attempts++
    if (records.some((r) => this.refusing.has(r.topic))) throw new KafkaProduceError('Kafka refused the records: too large', 'MESSAGE_TOO_LARGE')
    if (this.failures > 0) {
      this.failures--
      throw new Error('broker unavailable')
    }
    this.records.push(...records)
  }

  on (topic: string): Array<Record<string, unknown>> {
    return this.records.filter((r) => r.topic === topic).map((r) => JSON.parse(String(r.value)) as Record<string, unknown>)
  }
}

export interface Harness {
  runner: RuleRunner
  producer: FakeProducer
  sink: HttpSink
  registry: Registry
  clock: { now: number }
}

export const requestId = 'c4ee2a5b-0fd9-4d3b-8b7e-4f1c5a7e0a11'

export function revisionCreate (extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: '/mediawiki/revision/create/2.0.0',
    meta: {
      stream: 'mediawiki.revision-create',
      uri: 'https://en.wikipedia.org/wiki/User:Foo/Bar',
      domain: 'en.wikipedia.org',
      dt: '1990-02-20T19:31:13+00:00',
      id: 'e1',
      request_id: requestId
    },
    page_title: 'User:Foo/Bar',
    rev_id: 1234,
    rev_parent_id: 1233,
    ...extra
  }
}

export function message (value: unknown, topic = 'eqiad.mediawiki.revision-create', offset = '0'): ConsumedMessage {
  return {
    topic,
    partition: 0,
    offset,
    key: Buffer.from('k'),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    timestamp: '0',
    headers: {}
  }
}

export interface HarnessOptions {
  limiters?: Map<string, Array<{ intervalMs: number, limit: number }>>
  dedupeByDefault?: boolean
  /** The runner's `delayHoldMaxMs`. */
  delayHoldMaxMs?: number
}

export async function harness (t: TestContext, spec: (origin: string) => RuleSpec, options: HarnessOptions = {}): Promise<Harness> {
  const sink = await startSink()
  const dispatcher = new Agent({ keepAliveTimeout: 10 })
  t.after(async () => { await sink.close(); await dispatcher.close() })
  const registry = new Registry()
  const producer = new FakeProducer()
  const clock = { now: Date.parse('2024-01-01T00:00:00Z') }
  const limiters = options.limiters ?? new Map()
  const rule = compileRule('page_edit', spec(sink.origin), {
    defaults: testDefaults,
    limiterTypes: new Set(limiters.keys()),
    dedupeByDefault: options.dedupeByDefault ?? false
  })
  const runner = createRuleRunner(rule, {
    service: 'changeprop',
    topicPrefix: 'eqiad.',
    userAgent: 'sluice-test',
    maxChainLength: 5,
    boundedRawEventMaxBytes: 1024,
    producer,
    http: createHttpExecutor({ dispatcher }),
    dedupe: createMemoryDedupeStore({ windowMs: 60000, maxEntries: 100 }),
    limiter: createMemoryLimiterStore({ types: limiters, now: () => clock.now }),
    metrics: createChangepropMetrics(registry),
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
    produceRetryDelayMs: 5,
    ...(options.delayHoldMaxMs === undefined ? {} : { delayHoldMaxMs: options.delayHoldMaxMs })
  })
  return { runner, producer, sink, registry, clock }
}

export const signal = new AbortController().signal


export async function metric (registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
  return value?.value ?? 0
}
