import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { DEFAULT_JVM_OPTIONS, findFreePort, startLocalBroker, stopLocalBroker } from '../src/local-kafka/index.js'

// How many connections each idle service makes its broker accept: the broker's own counter
// (socket-server-metrics connection-creation-total, over JMX), read once the service is ready and
// has settled, and again after MINUTES without traffic. One broker per service, each service
// with its repository config, run from CHECKOUT (default this one; another checkout of the
// project measures its code the same way):
//
//   npx tsx bench/idle-connections.ts [CHECKOUT] [MINUTES]

const run = promisify(execFile)
const here = fileURLToPath(new URL('..', import.meta.url))
const checkout = resolve(process.argv[2] ?? here)
const minutes = Number(process.argv[3] ?? '5')
const services = { gateway: 'config.yaml', changeprop: 'config/changeprop.yaml', streams: 'config/streams.yaml' } as const

async function connections (jmxPort: number): Promise<{ accepted: number, open: number }> {
  const { stdout } = await run('java', [join(here, 'bench', 'jmx-connections.java'), String(jmxPort)])
  const [accepted, open] = stdout.trim().split(' ').map(Number) as [number, number]
  return { accepted, open }
}

async function readyz (url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200
  } catch {
    return false
  }
}

async function main (): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-idle-'))
  const runs = await Promise.all(Object.entries(services).map(async ([name, file]) => {
    const jmxPort = await findFreePort()
    const dataDir = join(workDir, name)
    const broker = await startLocalBroker({
      port: await findFreePort(),
      dataDir,
      jvmOptions: [...DEFAULT_JVM_OPTIONS, `-Dcom.sun.management.jmxremote.port=${jmxPort}`, `-Dcom.sun.management.jmxremote.rmi.port=${jmxPort}`,
        '-Dcom.sun.management.jmxremote.authenticate=false', '-Dcom.sun.management.jmxremote.ssl=false', '-Djava.rmi.server.hostname=127.0.0.1']
    })
    const port = await findFreePort()
    const child = spawn(join(checkout, 'node_modules', '.bin', 'tsx'), ['src/bin/sluice.ts', name, '--config', file], {
      cwd: checkout,
      env: { ...process.env, KAFKA_BROKERS: broker.bootstrap, PORT: String(port) },
      stdio: 'ignore'
    })
    return { name, jmxPort, dataDir, child, url: `http://127.0.0.1:${port}/readyz` }
  }))
  try {
    for (const r of runs) {
      const deadline = Date.now() + 120000
      while (!await readyz(r.url)) {
        if (Date.now() > deadline) throw new Error(`${r.name} did not get ready`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    // Group joins and first connections are over.
    await new Promise((resolve) => setTimeout(resolve, 10000))
    const before = await Promise.all(runs.map(async (r) => connections(r.jmxPort)))
    const started = Date.now()
    await new Promise((resolve) => setTimeout(resolve, minutes * 60000))
    const after = await Promise.all(runs.map(async (r) => connections(r.jmxPort)))
    const idle = ((Date.now() - started) / 60000).toFixed(1)
    for (const [i, r] of runs.entries()) {
      console.log(`${r.name}: ${after[i]!.accepted - before[i]!.accepted} connections accepted in ${idle} idle minutes; ${after[i]!.open} open at the end`)
    }
  } finally {
    for (const r of runs) r.child.kill('SIGTERM')
    await Promise.all(runs.map(async (r) => {
      if (r.child.exitCode === null && r.child.signalCode === null) await new Promise((resolve) => r.child.once('exit', resolve))
    }))
    for (const r of runs) await stopLocalBroker(r.dataDir)
    await rm(workDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
