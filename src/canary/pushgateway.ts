import type { Registry } from 'prom-client'
import { request } from 'undici'
import type { Dispatcher } from 'undici'
import type { CanaryConfig } from './config.js'
import { CanaryPushFailedError } from './errors.js'

/**
 * Pushes the registry's metrics to a Prometheus Pushgateway as the group
 * `job/<job>[/<label>/<value>…]`. POST, not PUT: it replaces only the metrics pushed, so a run
 * that leaves one out (the last success time, after a failure) keeps the group's previous value.
 */
export async function pushMetrics (registry: Registry, pushgateway: NonNullable<CanaryConfig['pushgateway']>, dispatcher: Dispatcher): Promise<void> {
  const grouping = Object.entries(pushgateway.grouping).map(([label, value]) => `/${encodeURIComponent(label)}/${encodeURIComponent(value)}`).join('')
  const url = `${pushgateway.url.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(pushgateway.job)}${grouping}`
  let status: number
  let text: string
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher,
      headersTimeout: pushgateway.timeout_ms,
      bodyTimeout: pushgateway.timeout_ms,
      headers: { 'content-type': registry.contentType },
      body: await registry.metrics()
    })
    status = response.statusCode
    text = await response.body.text()
  } catch (err) {
    throw new CanaryPushFailedError(url, err instanceof Error ? err.message : String(err), err)
  }
  if (status < 200 || status > 299) throw new CanaryPushFailedError(url, `HTTP ${status} ${text.slice(0, 300)}`.trimEnd())
}
