import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { validateConfig } from '../../src/config/load.js'
import { createGateway } from '../../src/gateway/index.js'
import type { Gateway, GatewayConfig } from '../../src/gateway/index.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import type { EventProducer, ProduceRecord } from '../../src/kafka/index.js'
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
