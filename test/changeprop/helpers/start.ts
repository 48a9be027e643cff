import type { TestContext } from 'node:test'
import { randomUUID } from 'node:crypto'
import { createChangeprop, loadChangepropConfig } from '../../../src/changeprop/index.js'
import type { Changeprop, ChangepropConfig, ChangepropOverrides, RuleSpec } from '../../../src/changeprop/index.js'
import { requireBrokers } from '../../helpers/kafka.js'
import { testLogger } from '../../helpers/logger.js'

export interface RunningChangeprop {
  changeprop: Changeprop
  config: Readonly<ChangepropConfig>
  prefix: string
  service: string
  /** `http://127.0.0.1:<admin port>` */
  admin: string
}

/**
 * Builds and starts change propagation against the test broker, with a topic prefix and
 * service name of its own and the settings that keep integration tests fast. Closed after the test.
 */
export async function startChangeprop (t: TestContext, rules: Record<string, RuleSpec>, extra: ChangepropOverrides = {}, names = testNames()): Promise<RunningChangeprop> {
  const { prefix, service } = names
  const config = await loadChangepropConfig(undefined, {}, testChangepropOverrides(names, rules, extra))
  const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: testLogger() })
  t.after(async () => { await changeprop.close() })
  await changeprop.start()
  return { changeprop, config, prefix, service, admin: `http://127.0.0.1:${String(changeprop.port)}` }
}

/** The settings of a test's own change propagation: its names, short delays, the test run's broker. */
export function testChangepropOverrides (names: { prefix: string, service: string }, rules: Record<string, RuleSpec>, extra: ChangepropOverrides = {}): ChangepropOverrides {
  return {
    service_name: names.service,
    port: 0,
    listen_address: '127.0.0.1',
    topic_prefix: names.prefix,
    retry_delay: 50,
    shutdown_timeout_ms: 2000,
    ...extra,
    kafka: {
      brokers: requireBrokers(),
      from_beginning: true,
      commit_interval_ms: 20,
      session_timeout_ms: 10000,
      heartbeat_interval_ms: 500,
      linger_ms: 1,
      ...extra.kafka
    },
    rules
  }
}

/** A topic prefix and service name no other test uses. */
export function testNames (): { prefix: string, service: string } {
  return { prefix: `t${randomUUID().slice(0, 8)}.`, service: `cp${randomUUID().slice(0, 8)}` }
}
