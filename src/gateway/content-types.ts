import { TextDecoder, promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { brotliDecompress, gunzip, inflate } from 'node:zlib'
import sjson from 'secure-json-parse'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { RequestMalformedJsonError, RequestTooDeepError, RequestTooLargeError, UnsupportedEncodingError, UnsupportedMediaTypeError } from './errors.js'
import { bodyDepthLimit, jsonDepthExceeds } from './json-depth.js'
import { zstdDeclaredSize } from './zstd-frame.js'
import { cloudEventsBatchMediaType, cloudEventsMediaType, mediaTypeOf } from './cloudevents.js'
import { SluiceError, isSluiceError, messageOf } from '../errors.js'

type Inflater = (body: Buffer, options: zlib.ZlibOptions & { maxOutputLength: number }) => Promise<Buffer>

const inflaters: Record<string, Inflater | undefined> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
  zstd: zstdInflater()
}

/**
 * zstd (RFC 8878) from Node's zlib, where this Node.js has it (22.15 and later). A frame may ask
 * for a window of up to 2 GB, which the decoder would allocate before writing a byte: RFC 8878
 * limits the HTTP content coding to 8 MB windows, so larger ones are refused. The inflated size
 * is bounded like the other codings; a frame that declares a size over it is refused unread.
 */
function zstdInflater (): Inflater | undefined {
  const { zstdDecompress, constants } = zlib as unknown as {
    zstdDecompress?: (body: Buffer, options: object, callback: (err: Error | null, result: Buffer) => void) => void
    constants: Record<string, number>
  }
  const windowLogMax = constants.ZSTD_d_windowLogMax
  if (zstdDecompress === undefined || windowLogMax === undefined) return undefined
  const decompress = promisify(zstdDecompress)
  // Output grows by one chunk per trip through the thread pool: with zlib's 16 KiB chunks a bomb
  // takes 640 trips to reach a 10 MB bound, with 1 MiB ones ten (pages untouched stay unallocated).
  return async (body, options) => {
    const declared = zstdDeclaredSize(body)
    if (declared !== undefined && declared > options.maxOutputLength) throw new RequestTooLargeError(options.maxOutputLength)
    return decompress(body, { ...options, chunkSize: Math.min(1024 * 1024, Math.max(64 * 1024, options.maxOutputLength)), params: { [windowLogMax]: 23 } })
  }
}

/**
 * The media types EventGate accepts: JSON, `text/plain` (so `navigator.sendBeacon` can post
 * without a CORS preflight) and `application/reports+json` (W3C Reporting API), and CloudEvents'
 * JSON formats. All are JSON.
 */
export const eventMediaTypes = ['application/json', 'text/plain', 'application/reports+json', cloudEventsMediaType, cloudEventsBatchMediaType]

/** The levels a CloudEvents envelope adds above its events (the object, and a batch's array). */
const envelopeDepth: Readonly<Record<string, number>> = { [cloudEventsMediaType]: 1, [cloudEventsBatchMediaType]: 1 }

export interface BodyLimits {
  /** Bytes, after decompression. */
  bodyLimit: number
  /** Nesting levels of objects and arrays within one event. */
  maxEventDepth: number
}

/**
 * Registers the body parsers. Compressed bodies are inflated here, with the body limit applied
 * to the inflated size too, so a small gzip bomb cannot blow past `max_body_size`.
 */
export function registerEventParsers (app: FastifyInstance, limits: BodyLimits): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(eventMediaTypes, { parseAs: 'buffer', bodyLimit: limits.bodyLimit }, (request, body, done) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
    if (encoding === 'identity' || encoding === '') {
      // Nearly every body: parsed at once, without a promise.
      let value: unknown
      try {
        value = parseBody(request, body as Buffer, limits)
      } catch (err) {
        done(err as Error, undefined)
        return
      }
      done(null, value)
      return
    }
    inflateBody(encoding, body as Buffer, limits.bodyLimit)
      .then((raw) => { done(null, parseBody(request, raw, limits)) })
      .catch((err: unknown) => { done(err as Error, undefined) })
  })
  app.addContentTypeParser('*', (request, _payload, done) => {
    done(new UnsupportedMediaTypeError(String(request.headers['content-type'] ?? '')), undefined)
  })
}

async function inflateBody (encoding: string, body: Buffer, bodyLimit: number): Promise<Buffer> {
  const inflater = Object.hasOwn(inflaters, encoding) ? inflaters[encoding] : undefined
  if (inflater === undefined) throw new UnsupportedEncodingError(`Content-Encoding '${encoding}' is not supported; use ${inflaters.zstd === undefined ? 'gzip, deflate or br (zstd needs Node.js 22.15 or later)' : 'gzip, deflate, br or zstd'}.`)
  try {
    return await inflater(body, { maxOutputLength: bodyLimit })
  } catch (err) {
    if (isSluiceError(err)) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new RequestTooLargeError(bodyLimit)
    if (code === 'ZSTD_error_frameParameter_windowTooLarge') {
      throw new SluiceError('SLUICE_ERR_REQUEST_TOO_LARGE', 'Request body is a zstd frame that needs a window over 8 MB to inflate (RFC 8878\'s bound for HTTP).', { statusCode: 413 })
    }
    throw new UnsupportedEncodingError(`Request body is not valid ${encoding} data: ${messageOf(err)}`)
  }
}

function parseBody (request: FastifyRequest, raw: Buffer, { maxEventDepth }: BodyLimits): unknown {
  if (raw.length === 0) return undefined
  const text = decodeText(raw, charsetOf(String(request.headers['content-type'] ?? '')))
  if (text.trim() === '') return undefined
  // Checked before parsing: a deeply nested event would overflow the stack later on, when the
  // answer that echoes it is serialized.
  const envelope = envelopeDepth[mediaTypeOf(request.headers['content-type'])] ?? 0
  if (jsonDepthExceeds(text, bodyDepthLimit(text, maxEventDepth) + envelope)) throw new RequestTooDeepError(maxEventDepth)
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    throw new RequestMalformedJsonError(messageOf(err), err)
  }
}

function charsetOf (contentType: string): string {
  if (!contentType.includes(';')) return 'utf-8'
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)
  return (match?.[1] ?? 'utf-8').toLowerCase()
}

function decodeText (raw: Buffer, charset: string): string {
  // UTF-8, nearly every body, without a TextDecoder per request; a BOM is dropped as
  // TextDecoder drops it.
  if (charset === 'utf-8' || charset === 'utf8') {
    return raw.toString('utf8', raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0)
  }
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset)
  } catch {
    throw new UnsupportedMediaTypeError(`charset=${charset}`)
  }
  return decoder.decode(raw)
}
