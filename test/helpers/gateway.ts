import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { validateConfig } from '../../src/config/load.js'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway, GatewayConfig } from '../../src/gateway/index.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import { createEcho } from '../../src/gateway/echo.js'
import { createIntakeDedupe, createMemoryDedupeStore } from '../../src/gateway/pipeline/dedupe.js'
import type { PipelineDeps, RequestInfo } from '../../src/gateway/pipeline/index.js'
import { createStreamLimits } from '../../src/gateway/pipeline/stream-limits.js'
import type { EventProducer, ProduceRecord } from '../../src/kafka/index.js'
import { createGatewayMetrics } from '../../src/metrics/gateway.js'
import { createSchemaResolver, createSourcesFromBaseUris } from '../../src/schemas/index.js'
import type { Logger } from '../../src/logger.js'
import { testLogger } from './logger.js'

// The logger helper lives in logger.ts; gateway tests have always taken it from here.
export { testLogger }

export const fixturesDir = fileURLToPath(new URL('../fixtures/gateway/', import.meta.url))

/** A producer that keeps what it is sent; `failWith` makes every send reject. */
export interface CapturingProducer extends EventProducer {
  records: ProduceRecord[]
  ready: boolean
  failWith: Error | undefined
  /** Resolves once at least `count` records were sent. */
  waitFor(count: number, timeoutMs?: number): Promise<ProduceRecord[]>
}

export function createCapturingProducer (): CapturingProducer {
  const waiters: Array<{ count: number, resolve: () => void }> = []
  const producer: CapturingProducer = {
    records: [],
    ready: true,
    failWith: undefined,
    async connect () {},
    monitor () {},
    async send (records) {
      if (producer.failWith !== undefined) throw producer.failWith
      producer.records.push(...records)
      for (const waiter of waiters.filter((w) => producer.records.length >= w.count)) waiter.resolve()
    },
    isReady: () => producer.ready,
    async close () { return true },
    async waitFor (count, timeoutMs = 5000) {
      if (producer.records.length >= count) return producer.records
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${producer.records.length} of ${count} records arrived`)), timeoutMs)
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve() } })
      })
      return producer.records
    }
  }
  return producer
}

export function testGatewayConfig (overrides: Record<string, unknown> = {}): Readonly<GatewayConfig> {
  return validateConfig({
    schema_base_uris: [`${fixturesDir}schemas/`],
    stream_config_uri: `${fixturesDir}stream-config/`,
    topic_prefix: 'eqiad.',
    log_level: 'silent',
    kafka: { brokers: ['127.0.0.1:1'] },
    ...overrides
  }, gatewayConfigSchema, 'test config')
}

/** Starts the gateway and resolves to the URL it listens on. */
export async function listen (gateway: Gateway): Promise<string> {
  await gateway.start()
  if (gateway.url === undefined) throw new Error('the gateway did not report its URL')
  return gateway.url
}

export async function buildTestGateway (t: TestContext, options: { config?: Record<string, unknown>, producer?: EventProducer, now?: () => Date, logger?: Logger } = {}): Promise<Gateway> {
  const gateway = await createGateway(testGatewayConfig(options.config), {
    cwd: fixturesDir,
    logger: options.logger ?? testLogger(),
    producer: options.producer ?? createCapturingProducer(),
    now: options.now,
    newId: (() => { let n = 0; return () => `id-${++n}` })()
  })
  t.after(async () => { await gateway.close() })
  return gateway
}

/** The pipeline on the gateway fixtures' schemas, every stream allowed, producing into `producer`. */
export function pipelineDeps (producer: EventProducer, schemaDirs: readonly string[] = [`${fixturesDir}schemas/`]): PipelineDeps {
  const dispatcher = new Agent()
  const logger = testLogger()
  return {
    enrichPlans: new WeakMap(),
    resolver: createSchemaResolver({
      sources: createSourcesFromBaseUris(schemaDirs, { dispatcher, timeoutMs: 1000, maxBytes: 1 << 20, userAgent: 'test', cwd: fixturesDir }),
      allowAbsoluteUris: false,
      failureRetryMs: 0,
      maxSchemaBytes: 1 << 20,
      logger
    }),
    streams: () => undefined,
    producer,
    limits: createStreamLimits(),
    dedupe: createIntakeDedupe({ store: createMemoryDedupeStore(100), pendingMs: 1000, onStoreError: () => {} }),
    echo: createEcho(1000),
    metrics: createGatewayMetrics(new Registry()),
    logger,
    now: () => new Date('2026-01-02T03:04:05.678Z'),
    newId: (() => { let n = 0; return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` })(),
    settings: {
      schemaUriFields: ['$schema'],
      streamFields: ['meta.stream'],
      dtField: 'meta.dt',
      metaDtPolicy: 'fill',
      maxTimestampSkewMs: 3600000,
      topicPrefix: 'eqiad.',
      legacyTopicsHome: undefined,
      eventServiceName: undefined,
      headersToFields: { 'x-request-id': 'meta.request_id', 'user-agent': 'http.request_headers.user-agent' },
      schemaUriQueryParam: undefined,
      streamQueryParam: undefined,
      maxMessageBytes: 1 << 20,
      errorStream: 'eventgate.error.validation',
      errorSchemaUri: '/error/0.0.3',
      emitterId: 'test',
      echoMaxStringLength: 1000,
      errorRawEventMaxBytes: 10000
    }
  }
}

export function requestInfo (headers: Record<string, string> = {}): RequestInfo {
  return { requestId: 'req-1', headers: { 'user-agent': 'test-agent', ...headers }, remoteAddress: '10.0.0.1', query: {} }
}
