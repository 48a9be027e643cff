import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { request } from 'undici'
import { locateTool } from '../helm/chart-tools.js'
import { waitFor } from './wait.js'

export interface Pushgateway {
  url: string
  /** The Pushgateway's own /metrics: every pushed series with its grouping labels. */
  metrics(): Promise<string>
  stop(): Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * Starts a throwaway Prometheus Pushgateway (Debian's `prometheus-pushgateway`, installed into the
 * tool cache by scripts/provision.sh) on a free loopback port, without persistence, and resolves
 * once it answers. Fails, naming the install script, when the binary is missing.
 */
export async function startPushgateway (): Promise<Pushgateway> {
  const binary = locateTool('pushgateway')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  let exited = false
  child.once('exit', () => { exited = true })
  const metrics = async (): Promise<string> => {
    const res = await request(`${url}/metrics`)
    return res.body.text()
  }
  try {
    await waitFor('the Pushgateway to answer', async () => {
      if (exited) throw new Error(`the Pushgateway exited:\n${output}`)
      try {
        const res = await request(`${url}/-/ready`)
        await res.body.dump()
        return res.statusCode === 200
      } catch {
        return false
      }
    }, 15000)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return {
    url,
    metrics,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      const done = once(child, 'exit')
      child.kill('SIGTERM')
      await done
    }
  }
}
