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

/**
 * Streams asked for on demand could not be fetched: their events fail, and a retry may succeed.
 * The message names the streams, not the source (its address stays out of client answers).
 */
export class StreamSettingsUnavailableError extends SluiceError {
  readonly streams: readonly string[]
  constructor (streams: readonly string[], cause?: unknown) {
    super('SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', `The settings of stream ${streams.join(', ')} could not be fetched from the stream config; try again later`, { statusCode: 503, retriable: true, cause })
    this.streams = streams
  }
}
