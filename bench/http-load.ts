import autocannon from 'autocannon'
import { sampleRss } from './rss.js'

// The HTTP load of the gateway figures and their bare-Fastify baseline: autocannon from the
// bench's process against a server in another, the same settings for both.

export interface HttpLoadOptions {
  /** POSTed as application/json by every request. */
  body: string
  durationSec: number
  connections: number
  /** The server's process, whose RSS is sampled during the load. */
  pid: number
}

export interface HttpLoadResult {
  /** 2xx answers per second. */
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  /** Peak RSS of the server during the warm-up and the measured run. */
  peakRssMb: number
}

/** A 2 s warm-up (JIT, caches, broker connections), then `durationSec` measured. */
export async function loadHttp (url: string, options: HttpLoadOptions): Promise<HttpLoadResult> {
  const run = async (duration: number): Promise<autocannon.Result> => autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: options.body,
    connections: options.connections,
    pipelining: 1,
    duration
  })
  const rss = sampleRss(options.pid)
  try {
    await run(2)
    const result = await run(options.durationSec)
    return {
      requestsPerSec: result['2xx'] / options.durationSec,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      peakRssMb: rss.peakMb()
    }
  } finally {
    rss.stop()
  }
}
