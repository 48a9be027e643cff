import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { SluiceError, isSluiceError } from '../errors.js'
import { RequestInvalidError, RouteNotFoundError } from './errors.js'
import { problemLevel } from './log-policy.js'

/** The problem body every non-event error answers with (EventGate's problem shape plus `code`). */
export interface Problem {
  status: number
  code: string
  title: string
  detail: string
  method: string
  uri: string
}

/** A service's own reading of an error Fastify raised (a body too large for its limit), or undefined for the shared one. */
export type ProblemOf = (err: unknown, request: FastifyRequest) => SluiceError | undefined

/**
 * The error an answer is made from: a Sluice error as it is, then the service's own reading,
 * then a route Fastify did not find (404), any other 4xx of Fastify's (the request is invalid),
 * and anything else as an internal error (500), which is a bug.
 */
export function toSluiceError (err: unknown, request: FastifyRequest, problemOf?: ProblemOf): SluiceError {
  if (isSluiceError(err)) return err
  const own = problemOf?.(err, request)
  if (own !== undefined) return own
  const fastifyError = err as Partial<FastifyError>
  if (fastifyError.code === 'FST_ERR_NOT_FOUND') return new RouteNotFoundError(request.method, request.url)
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new RequestInvalidError(fastifyError.message ?? 'Bad request', status, err)
  }
  return new SluiceError('SLUICE_ERR_INTERNAL', 'Internal error', { statusCode: 500, cause: err })
}

/** Answers with the problem body of `error`, logged at the level of the log policy (5xx error, 4xx info). */
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
