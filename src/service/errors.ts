import { SluiceError } from '../errors.js'

// What any HTTP service of Sluice answers with a problem body (src/service/problem.ts).

/** A request Fastify refused (a 4xx of its own), or one Node could not parse. */
export class RequestInvalidError extends SluiceError {
  constructor (detail: string, statusCode = 400, cause?: unknown) {
    super('SLUICE_ERR_REQUEST_INVALID', detail, { statusCode, cause })
  }
}

/** No route for the method and path. */
export class RouteNotFoundError extends SluiceError {
  constructor (method: string, url: string) {
    super('SLUICE_ERR_NOT_FOUND', `No route for ${method} ${url}.`, { statusCode: 404 })
  }
}
