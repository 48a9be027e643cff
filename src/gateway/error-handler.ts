import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { SluiceError, isSluiceError } from '../errors.js'
import { problemLevel } from '../service/log-policy.js'
import { RequestInvalidError, RequestTooLargeError, RouteNotFoundError, UnsupportedMediaTypeError } from './errors.js'

/** The problem body every non-event error answers with (EventGate's problem shape plus `code`). */
export interface Problem {
  status: number
  code: string
  title: string
  detail: string
  method: string
  uri: string
}

export function toSluiceError (err: unknown, request: FastifyRequest, bodyLimit: number): SluiceError {
  if (isSluiceError(err)) return err
  const fastifyError = err as Partial<FastifyError>
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new RequestTooLargeError(bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new UnsupportedMediaTypeError(String(request.headers['content-type'] ?? ''))
    case 'FST_ERR_NOT_FOUND': return new RouteNotFoundError(request.method, request.url)
  }
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new RequestInvalidError(fastifyError.message ?? 'Bad request', status, err)
  }
  return new SluiceError('SLUICE_ERR_INTERNAL', 'Internal error', { statusCode: 500, cause: err })
}

export function sendProblem (reply: FastifyReply, request: FastifyRequest, error: SluiceError): FastifyReply {
  const problem: Problem = {
    status: error.statusCode,
    code: error.code,
    title: STATUS_CODES[error.statusCode] ?? 'Error',
    detail: error.message,
    method: request.method,
    uri: request.url
  }
  const level = problemLevel(error.statusCode)
  if (level === 'error') request.log.error({ err: error.cause ?? error }, error.message)
  else request.log[level]({ code: error.code }, error.message)
  if (error.statusCode === 503) void reply.header('retry-after', '5')
  return reply.code(error.statusCode).type('application/problem+json').send(problem)
}
