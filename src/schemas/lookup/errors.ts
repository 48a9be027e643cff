import { SluiceError } from '../../errors.js'
import type { ErrorCode } from '../../error-codes.js'

/** Facts about a failed schema load, kept on the error for logs and callers. */
export interface SchemaErrorDetails {
  /** Set when the failure happened while loading a `$ref` of the requested schema. */
  refUri?: string
  /** JSON pointer into the schema document, when the problem is at one place in it. */
  pointer?: string
  /** The repository locations that were tried (for logs; never put into the message). */
  tried?: readonly string[]
  /** The limit that was exceeded, in bytes or nesting levels. */
  limit?: number
  cause?: unknown
}

interface SchemaErrorKind {
  code: ErrorCode
  statusCode: number
  retriable: boolean
}

/**
 * The base of every schema lookup failure. The message always starts with
 * EventGate's `Failed loading schema at <uri>` so clients that match on it keep
 * working; the detail after the colon never contains file system paths or
 * repository addresses (those go on `tried`).
 */
export abstract class SchemaLoadError extends SluiceError {
  /** The URI that was asked for (an event's `$schema`, or a `$ref` when loaded on its own). */
  readonly uri: string
  /** The reason, without the `Failed loading schema at` prefix. */
  readonly detail: string
  readonly refUri: string | undefined
  readonly pointer: string | undefined
  readonly tried: readonly string[]
  readonly limit: number | undefined

  protected constructor (kind: SchemaErrorKind, uri: string, detail: string, details: SchemaErrorDetails) {
    const via = details.refUri === undefined ? '' : `$ref ${details.refUri}: `
    super(kind.code, `Failed loading schema at ${uri}: ${via}${detail}`, {
      statusCode: kind.statusCode,
      retriable: kind.retriable,
      cause: details.cause
    })
    this.uri = uri
    this.detail = detail
    this.refUri = details.refUri
    this.pointer = details.pointer
    this.tried = details.tried ?? []
    this.limit = details.limit
  }

  /**
   * The same failure reported against the schema whose `$ref` led to it, so the
   * message names the URI the event carried.
   */
  inSchema (uri: string): SchemaLoadError {
    return uri === this.uri ? this : this.#copy(uri, this.refUri ?? this.uri)
  }

  /** The same failure for `uri`; sources raise errors about their own locations, the resolver renames them. */
  forUri (uri: string): SchemaLoadError {
    return uri === this.uri ? this : this.#copy(uri, this.refUri)
  }

  #copy (uri: string, refUri: string | undefined): SchemaLoadError {
    const Kind = this.constructor as new (uri: string, detail: string, details?: SchemaErrorDetails) => SchemaLoadError
    return new Kind(uri, this.detail, { refUri, pointer: this.pointer, tried: this.tried, limit: this.limit, cause: this })
  }
}

/** No configured repository has a schema at this URI. */
export class SchemaNotFoundError extends SchemaLoadError {
  constructor (uri: string, detail = 'no configured schema repository has it', details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_NOT_FOUND', statusCode: 404, retriable: false }, uri, detail, details)
  }
}

/**
 * The URI names no version (e.g. an author's `current.yaml`) and its document claims a published
 * version's `$id` without being that version's document (or the version does not exist): the
 * client asked for a draft. Compiling it would take the version's `$id` from the real one.
 */
export class SchemaNotPublishedError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_NOT_PUBLISHED', statusCode: 400, retriable: false }, uri, detail, details)
  }
}

/** The URI is absolute (and not allowed), escapes the repositories, or is not a plain path. Nothing was read. */
export class SchemaUriRefusedError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_URI_REFUSED', statusCode: 400, retriable: false }, uri, detail, details)
  }
}

/** The schema could be abused to make validation slow (EventGate's secure meta-schema rules). */
export class SchemaInsecureError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_INSECURE', statusCode: 500, retriable: false }, uri, detail, details)
  }
}

/** The document is not YAML/JSON, not a schema, of an unsupported draft, or does not compile. */
export class SchemaInvalidError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_INVALID', statusCode: 500, retriable: false }, uri, detail, details)
  }
}

/** The document is bigger than the byte limit or nested deeper than the depth limit. */
export class SchemaTooLargeError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_TOO_LARGE', statusCode: 500, retriable: false }, uri, detail, details)
  }
}

/** Reading from a repository failed (HTTP error status, timeout, connection or file system error). */
export class SchemaFetchError extends SchemaLoadError {
  constructor (uri: string, detail: string, details: SchemaErrorDetails = {}) {
    super({ code: 'SLUICE_ERR_SCHEMA_FETCH', statusCode: 502, retriable: true }, uri, detail, details)
  }
}
