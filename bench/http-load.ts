import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cpuSeconds } from './cpu.js'
import { sampleRss } from './rss.js'

// The HTTP load of the gateway figures, their bare-Fastify baseline and the soak: wrk (C, one
// thread), the same settings for all. On two cores the load generator competes with the server
// and the broker it measures; wrk takes about a tenth of a core where a Node.js generator took
// most of one. `npm run bench` installs it (scripts/provision.sh --bench).

export interface WrkOptions {
  /** POSTed by every request, as application/json unless `headers` say otherwise. */
  body: string
  /** Request headers (CloudEvents' binary mode, another Content-Type). */
  headers?: Readonly<Record<string, string>>
  durationSec: number
  connections: number
  /** Each connection waits this long before each of its requests (a paced load); none by default. */
  delayMs?: number
  /** A directory for wrk's Lua script. */
  workDir: string
}

export interface WrkResult {
  /** 2xx answers per second. */
  requestsPerSec: number
  /** 2xx answers in all. */
  answered: number
  p50Ms: number
  p99Ms: number
  /** Answers that were not 2xx or 3xx, and socket errors and timeouts. */
  failed: number
}

// Sets the request, and prints wrk's summary as one JSON line when it is done.
const script = (body: string, headers: Readonly<Record<string, string>>, delayMs: number | undefined): string => `wrk.method = "POST"
${Object.entries({ 'Content-Type': 'application/json', ...headers }).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`).join('\n')}
wrk.body = ${JSON.stringify(body)}
${delayMs === undefined ? '' : `function delay() return ${Math.round(delayMs)} end`}
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"durationUs":%d,"status":%d,"socket":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`

/** `connections` connections POST `body` to `url` for `durationSec`, one request at a time each. */
export async function wrk (url: string, options: WrkOptions): Promise<WrkResult> {
  const file = join(options.workDir, 'wrk-post.lua')
  await writeFile(file, script(options.body, options.headers ?? {}, options.delayMs))
  const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.durationSec}s`, '--timeout', '10s', '-s', file, url], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  const line = out.split('\n').find((l) => l.startsWith('{'))
  if (code !== 0 || line === undefined) throw new Error(`bench: wrk exited with ${String(code)}: ${out}`)
  const r = JSON.parse(line) as { requests: number, durationUs: number, status: number, socket: number, p50Us: number, p99Us: number }
  const failed = r.status + r.socket
  return { requestsPerSec: (r.requests - failed) / (r.durationUs / 1e6), answered: r.requests - failed, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, failed }
}

export interface HttpLoadResult extends WrkResult {
  /** Peak RSS of the server during the warm-up and the measured run. */
  peakRssMb: number
  /** CPU seconds the server spent during the measured run. */
  cpuSec: number
}

/** A 2 s warm-up (JIT, caches, broker connections), then `durationSec` measured; `pid` is the server's, whose RSS is sampled. */
export async function loadHttp (url: string, options: WrkOptions & { pid: number }): Promise<HttpLoadResult> {
  const rss = sampleRss(options.pid)
  try {
    await wrk(url, { ...options, durationSec: 2 })
    const cpuBefore = await cpuSeconds(options.pid)
    const result = await wrk(url, options)
    return { ...result, peakRssMb: rss.peakMb(), cpuSec: await cpuSeconds(options.pid) - cpuBefore }
  } finally {
    rss.stop()
  }
}
