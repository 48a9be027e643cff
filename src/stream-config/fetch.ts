import { pause } from '../deadline.js'
import yaml from 'js-yaml'
import { request } from 'undici'
import { StreamConfigInvalidError, StreamConfigUnavailableError } from './errors.js'
import type { StreamConfigSourceOptions } from './load.js'

/** No retry waits longer than this, however many there are. */
const maxRetryDelayMs = 30_000

/**
 * Fetches the stream config from an http(s) URL: MediaWiki's EventStreamConfig API, or any
 * server answering the mapping in JSON or YAML. A failed fetch (network, HTTP status, an `error`
 * the API answers with HTTP 200) is tried again up to `retries` times, waiting `retryDelayMs`,
 * then twice as long each time; an answer that does not parse is not retried.
 */
export async function fetchStreamConfig (options: StreamConfigSourceOptions, uri: string = options.uri): Promise<unknown> {
  const retries = options.retries ?? 0
  let delayMs = options.retryDelayMs ?? 500
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(options, uri)
    } catch (err) {
      if (!(err instanceof StreamConfigUnavailableError) || attempt >= retries) throw err
      // Half fixed, half random: replicas that failed together do not retry together.
      const waitMs = Math.round(delayMs / 2 + Math.random() * delayMs / 2)
      options.logger?.warn({ err, attempt: attempt + 1, retries, waitMs }, 'fetching the stream config failed; trying again')
      // A retry pending at shutdown does not hold the process.
      await pause(waitMs, { unref: true })
      delayMs = Math.min(delayMs * 2, maxRetryDelayMs)
    }
  }
}

/**
 * The URL asking EventStreamConfig for the named streams only: `streams=a|b` on the configured
 * URL, whose other parameters (constraints, format) stay as they are.
 */
export function streamsUri (uri: string, names: readonly string[]): string {
  const url = new URL(uri)
  url.searchParams.set('streams', names.join('|'))
  return url.toString()
}

async function fetchOnce (options: StreamConfigSourceOptions, uri: string): Promise<unknown> {
  let body: string
  try {
    const response = await request(uri, {
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      headers: { accept: 'application/json, application/yaml;q=0.9', ...options.headers }
    })
    body = await response.body.text()
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new Error(`HTTP ${response.statusCode}`)
    }
  } catch (err) {
    throw new StreamConfigUnavailableError(uri, err)
  }
  let data: unknown
  try {
    data = yaml.load(body)
  } catch (err) {
    throw new StreamConfigInvalidError(uri, ['the response is neither JSON nor YAML'], err)
  }
  return settingsOf(data, uri, options)
}

/** The stream settings within the answer: at `objectPath`, else in EventStreamConfig's `{streams}` envelope, else the answer itself. */
function settingsOf (data: unknown, uri: string, options: StreamConfigSourceOptions): unknown {
  if (isMap(data)) {
    // EventStreamConfig's Action API reports errors with HTTP 200, and warnings beside the answer.
    if (data.error !== undefined) throw new StreamConfigUnavailableError(uri, new Error(JSON.stringify(data.error)))
    if (data.warnings !== undefined) options.logger?.warn({ warnings: data.warnings }, 'the stream config API answered with warnings')
  }
  if (options.objectPath !== undefined && options.objectPath !== '') {
    let node: unknown = data
    for (const key of options.objectPath.split('.')) node = isMap(node) && Object.hasOwn(node, key) ? node[key] : undefined
    if (node === undefined) throw new StreamConfigInvalidError(uri, [`the answer has nothing at ${options.objectPath} (stream_config_object_path)`])
    return node
  }
  if (isMap(data) && isMap(data.streams)) return data.streams
  return data
}

function isMap (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
