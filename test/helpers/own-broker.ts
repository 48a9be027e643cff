import type { TestContext } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startLocalBroker, stopLocalBroker } from '../../src/local-kafka/index.js'
import { testTmpDir } from './kafka.js'

/** A broker of the test's own, for tests that kill, pause or restart it. */
export interface OwnBroker {
  bootstrap: string
  /** SIGKILL: the broker vanishes as in a crash. */
  kill(): void
  /** Starts it again on the same port and data; resolves once it answers metadata requests. */
  restart(): Promise<void>
  /** SIGSTOP: connections stay open and nothing answers. */
  pause(): void
  /** SIGCONT. */
  resume(): void
}

export async function startOwnBroker (t: TestContext | { after: (fn: () => Promise<void>) => void }): Promise<OwnBroker> {
  const dataDir = await mkdtemp(join(testTmpDir(), 'sluice-own-broker-'))
  let broker = await startLocalBroker({ port: 0, dataDir })
  const port = Number(broker.bootstrap.split(':')[1])
  t.after(async () => {
    resumeIfAlive(broker.pid)
    await stopLocalBroker(dataDir, { timeoutMs: 5000 })
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 })
  })
  return {
    bootstrap: broker.bootstrap,
    kill () { process.kill(broker.pid, 'SIGKILL') },
    async restart () { broker = await startLocalBroker({ port, dataDir }) },
    pause () { process.kill(broker.pid, 'SIGSTOP') },
    resume () { resumeIfAlive(broker.pid) }
  }
}

function resumeIfAlive (pid: number): void {
  try {
    process.kill(pid, 'SIGCONT')
  } catch (err) {
    // Already gone (killed by the test): nothing to resume.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}
