import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { SluiceError } from '../errors.js'
import type { Logger } from '../logger.js'
import { problemLevel } from '../service/log-policy.js'
import { RequestHeadersTooLargeError, RequestInvalidError, RequestTimeoutError } from './errors.js'
import type { Problem } from '../service/index.js'

/** What Node hands to the server's `clientError` listener. */
export interface ClientError extends Error {
  code?: string
  rawPacket?: unknown
}

/**
 * Answers errors Node raises on the connection itself, before or while a request is read:
 * a request not complete within `request_timeout_ms` (408), headers over `maxHeaderSize` (431)
 * and unparsable requests (400). Node closes the socket afterwards, so the answer says
 * `Connection: close`; without it a keep-alive client sends its next request into a closed
 * socket and gets ECONNRESET.
 */
export function createClientErrorHandler (logger: Logger, requestTimeoutMs: number): (err: ClientError, socket: Socket) => void {
  return function onClientError (err, socket) {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const error = toConnectionError(err, requestTimeoutMs)
    const { method, uri } = requestLine(err.rawPacket)
    logger[problemLevel(error.statusCode)]({ code: error.code, remoteAddress: socket.remoteAddress }, error.message)
    if (socket.writable) {
      const problem: Problem = { status: error.statusCode, code: error.code, title: STATUS_CODES[error.statusCode] ?? 'Error', detail: error.message, method, uri }
      const body = JSON.stringify(problem)
      socket.write(
        `HTTP/1.1 ${error.statusCode} ${problem.title}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      )
    }
    socket.destroySoon()
  }
}

function toConnectionError (err: ClientError, requestTimeoutMs: number): SluiceError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': return new RequestTimeoutError(requestTimeoutMs)
    case 'HPE_HEADER_OVERFLOW': return new RequestHeadersTooLargeError()
  }
  return new RequestInvalidError(`The request could not be parsed (${err.code ?? err.message}).`)
}

/** Method and path of the request line, when the bytes Node had read include it. */
function requestLine (rawPacket: unknown): { method: string, uri: string } {
  if (!Buffer.isBuffer(rawPacket)) return { method: '', uri: '' }
  const match = /^([A-Z]{1,16}) (\S{1,2048}) HTTP\/1\.[01]\r?\n/.exec(rawPacket.subarray(0, 2100).toString('latin1'))
  return match === null ? { method: '', uri: '' } : { method: match[1] as string, uri: match[2] as string }
}
