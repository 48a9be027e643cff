import { request } from 'undici'
import type { Dispatcher } from 'undici'
import type { SchemaSource } from '../document/source.js'
import { SchemaFetchError, SchemaTooLargeError, SchemaUriRefusedError } from './errors.js'
import { normalizeBaseUri } from './uri.js'

export interface HttpSchemaSourceOptions {
  /** `http(s)://host/path/`; files are looked up below it. */
  baseUrl: string
  dispatcher: Dispatcher
  /** For the whole exchange, headers and body. */
  timeoutMs: number
  maxBytes: number
  userAgent: string
}

/**
 * Reads schemas over HTTP (a schema.wikimedia.org-like static file server).
 * 404 and 410 mean absent; any other status outside 2xx is a failure, and so
 * are redirects, which are not followed: a repository that redirects elsewhere
 * would let a schema URI reach hosts nobody configured.
 */
export function createHttpSchemaSource (options: HttpSchemaSourceOptions): SchemaSource {
  const baseUrl = normalizeBaseUri(options.baseUrl)
  return {
    description: baseUrl,
    baseUri: baseUrl,
    async read (relativePath) {
      const url = new URL(relativePath, baseUrl)
      if (!url.href.startsWith(baseUrl) || url.search !== '' || url.hash !== '') {
        throw new SchemaUriRefusedError(relativePath, 'the path leaves the schema repository')
      }
      const signal = AbortSignal.timeout(options.timeoutMs)
      const fail = (detail: string, cause?: unknown): SchemaFetchError =>
        new SchemaFetchError(relativePath, detail, { cause, tried: [url.href] })
      let response: Dispatcher.ResponseData
      try {
        response = await request(url, {
          method: 'GET',
          dispatcher: options.dispatcher,
          signal,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          headers: {
            'user-agent': options.userAgent,
            accept: 'application/yaml, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5'
          }
        })
      } catch (err) {
        throw fail(signal.aborted ? `the schema repository did not answer within ${options.timeoutMs} ms` : 'the schema repository cannot be reached', err)
      }
      const { statusCode, body } = response
      if (statusCode === 404 || statusCode === 410) {
        await body.dump().catch(() => undefined)
        return undefined
      }
      if (statusCode < 200 || statusCode > 299) {
        await body.dump().catch(() => undefined)
        throw fail(`the schema repository answered HTTP ${statusCode}`)
      }
      const declared = Number(response.headers['content-length'])
      const tooLarge = (): SchemaTooLargeError => new SchemaTooLargeError(relativePath,
        `the schema document is larger than ${options.maxBytes} bytes`, { limit: options.maxBytes, tried: [url.href] })
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(body)
        throw tooLarge()
      }
      const chunks: Buffer[] = []
      let size = 0
      try {
        for await (const chunk of body) {
          const buffer = chunk as Buffer
          size += buffer.length
          if (size > options.maxBytes) {
            discard(body)
            throw tooLarge()
          }
          chunks.push(buffer)
        }
      } catch (err) {
        if (err instanceof SchemaTooLargeError) throw err
        throw fail(signal.aborted ? `the schema repository did not answer within ${options.timeoutMs} ms` : 'reading the schema document failed', err)
      }
      return Buffer.concat(chunks).toString('utf8')
    }
  }
}

/** Stops reading and drops the connection; the abort error this raises on the stream is expected. */
function discard (body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {})
  body.destroy()
}
