import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { request } from 'undici'
import { forwardStderr, waitUntil } from './processes.js'

// A service under test in its own process, as production runs it (`sluice <command> --config
// FILE`, from the JavaScript of bench/build.ts), so the load generator does not share its event
// loop and its RSS is its own. Its output goes to the bench's stderr, keeping stdout for the figures.

/** What starting a service needs: the checkout, a scratch directory, the broker, and dist/ as bench/build.ts built it. */
export interface Services { root: string, workDir: string, brokers: string[], dist: string }

export interface SluiceProcess {
  /** The HTTP server that answers /readyz (the gateway's, or change propagation's admin server). */
  url: string
  pid: number
  /** Answers the Prometheus text of /metrics. */
  metrics(): Promise<string>
  stop(): Promise<void>
}

/** Waits until the service in `child` answers 200 on `url`/readyz; fails at once if it exits. */
export async function waitForReadyz (what: string, child: ChildProcess, url: string): Promise<void> {
  await waitUntil(`${what} to be ready`, async () => {
    if (child.exitCode !== null) throw new Error(`bench: ${what} exited with ${child.exitCode}`)
    try {
      const res = await request(`${url}/readyz`)
      await res.body.dump()
      return res.statusCode === 200
    } catch {
      return false // not listening yet
    }
  }, 60000, 100)
}

export async function startSluiceProcess (services: Services, command: 'gateway' | 'changeprop', config: Record<string, unknown> & { port: number }): Promise<SluiceProcess> {
  const configFile = join(services.workDir, `${command}-${config.port}.yaml`)
  await writeFile(configFile, yaml.dump({ listen_address: '127.0.0.1', log_level: 'warn', ...config, kafka: { brokers: services.brokers, ...config.kafka as object } }))
  // BENCH_PROFILE_DIR=DIR writes a CPU profile of every service process there (profile before optimising).
  const profile = process.env.BENCH_PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
  // BENCH_NODE_ARGS: more Node.js flags for the service processes (e.g. --trace-gc, --max-semi-space-size=32).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '')
  const child = spawn(process.execPath, [...profile, ...nodeArgs, join(services.dist, 'src/bin/sluice.js'), command, '--config', configFile], {
    cwd: services.root,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout.pipe(process.stderr, { end: false })
  forwardStderr(child)
  const url = `http://127.0.0.1:${config.port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
  try {
    await waitForReadyz(`sluice ${command}`, child, url)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    url,
    pid: child.pid!,
    async metrics () {
      const res = await request(`${url}/metrics`)
      return await res.body.text()
    },
    stop
  }
}
