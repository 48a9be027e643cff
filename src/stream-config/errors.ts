import { SluiceError } from '../errors.js'

export class StreamConfigInvalidError extends SluiceError {
  constructor (source: string, problems: readonly string[], cause?: unknown) {
    super('SLUICE_ERR_STREAM_CONFIG_INVALID', `Invalid stream config in ${source}:\n  - ${problems.join('\n  - ')}`, { statusCode: 500, cause })
  }
}

export class StreamConfigUnavailableError extends SluiceError {
  constructor (source: string, cause?: unknown) {
    super('SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', `Could not load stream config from ${source}: ${cause instanceof Error ? cause.message : String(cause)}`, { statusCode: 503, retriable: true, cause })
  }
}
