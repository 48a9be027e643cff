import type { TestContext } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startMirror } from '../../src/local-kafka/index.js'
import type { LocalMirror } from '../../src/local-kafka/index.js'
import { requireBrokers, testTmpDir } from './kafka.js'
import { startOwnBroker } from './own-broker.js'
import type { OwnBroker } from './own-broker.js'

/**
 * Two datacenters on one machine, as Wikimedia runs eqiad and codfw: the test run's broker is
 * eqiad's cluster, a second broker codfw's, and Kafka's MirrorMaker 2 copies each datacenter's
 * topics (`eqiad.*`, `codfw.*`, and eqiad's bare `eventlogging_*`, the legacy home's) to the other
 * cluster under the same names. Tests that need them
 * share one pair per file, and use topic names of their own.
 */
export interface TwoDatacenters {
  eqiad: string
  codfw: string
  /** codfw's broker, for tests of an outage (eqiad's is the test run's, shared by every file). */
  codfwBroker: OwnBroker
  mirrors: { eqiadToCodfw: LocalMirror, codfwToEqiad: LocalMirror }
}

export async function startTwoDatacenters (t: TestContext | { after: (fn: () => Promise<void>) => void }): Promise<TwoDatacenters> {
  const eqiad = requireBrokers()[0]!
  const codfwBroker = await startOwnBroker(t)
  const codfw = codfwBroker.bootstrap
  const workDir = await mkdtemp(join(testTmpDir(), 'sluice-mirror-'))
  const quiet = (): void => {}
  // Small topic refresh: a topic created by a test is mirrored within a second or two. eqiad is
  // the legacy home: its mirror copies the bare eventlogging_* topics too.
  const common = { workDir, refreshTopicsSeconds: 1, onOutput: quiet, legacyTopicsHome: 'eqiad' }
  const [eqiadToCodfw, codfwToEqiad] = await Promise.all([
    startMirror({ ...common, from: { name: 'eqiad', bootstrap: eqiad }, to: { name: 'codfw', bootstrap: codfw } }),
    startMirror({ ...common, from: { name: 'codfw', bootstrap: codfw }, to: { name: 'eqiad', bootstrap: eqiad } })
  ])
  t.after(async () => {
    await Promise.all([eqiadToCodfw.stop(5000), codfwToEqiad.stop(5000)])
    await rm(workDir, { recursive: true, force: true })
  })
  return { eqiad, codfw, codfwBroker, mirrors: { eqiadToCodfw, codfwToEqiad } }
}
