import { performance } from 'node:perf_hooks'
import { isDeepStrictEqual } from 'node:util'
import type { ValidateFunction } from 'ajv'
import type { Logger } from '../../logger.js'
import { idKeyword } from '../document/ajv.js'
import type { Draft } from '../document/ajv.js'
import type { SchemaSource } from '../document/source.js'
import type { SchemaNode } from '../document/walk.js'
import { ajvKey, createSchemaCompiler } from './compiler.js'
import { SchemaInvalidError, SchemaLoadError, SchemaNotFoundError, SchemaNotPublishedError, SchemaUriRefusedError } from './errors.js'
import { locateSchema, readSchemaText } from './locate.js'
import type { SchemaLocation } from './locate.js'
import { parseSchemaDocument } from './parse-document.js'
import type { SchemaDocument } from './parse-document.js'
import { isAbsoluteSchemaUri, isVersionedPath } from './uri.js'

export interface ResolvedSchema {
  /** The URI as the event gave it. */
  uri: string
  /** The schema's `$id` (`id` in draft-04). */
  id: string | undefined
  title: string | undefined
  /** The document as stored in the repository (nested `$id`s included), frozen. */
  schema: Readonly<Record<string, unknown>>
  /** Ajv; applies schema defaults to the event (`useDefaults`), as EventGate does. */
  validate: ValidateFunction
}

export interface SchemaResolver {
  /** Throws `SchemaLoadError` subclasses (see `errors.ts`). */
  resolve(uri: string): Promise<ResolvedSchema>
  /**
   * The schema `resolve(uri)` would give, when it is already loaded and compiled; undefined
   * otherwise. It lets the event path skip a promise per event for the schemas in use.
   */
  cached(uri: string): ResolvedSchema | undefined
  /** Resolves each URI in order and throws on the first failure (the gateway then refuses to start). */
  precache(uris: readonly string[]): Promise<void>
  /** Forget cached failures and (only for non-versioned URIs like .../latest) cached schemas. */
  clear(): void
}

export interface SchemaResolverOptions {
  /** Tried in order, like EventGate's `schema_base_uris`. */
  sources: readonly SchemaSource[]
  /** EventGate's `schema_file_extension` rule; see `candidatePaths`. */
  fileExtension?: string
  /** EventGate wmf: absolute URIs are refused unless allowed. */
  allowAbsoluteUris: boolean
  /**
   * Picks the source for an allowed absolute URI (default: the first source
   * whose `baseUri` the URI starts with). The URI must still lie below the
   * picked source's `baseUri`, or it is refused.
   */
  absoluteUriSource?: (uri: URL) => SchemaSource | undefined
  /** A failed load is retried after this long, not cached forever. 0 retries every time. */
  failureRetryMs: number
  maxSchemaBytes: number
  /** Deepest object/array nesting accepted in a schema document. */
  maxDepth?: number
  /** Keywords that only annotate, accepted despite Ajv's strict mode. */
  annotationKeywords?: readonly string[]
  logger: Logger
  /** Milliseconds clock for the failure retry interval. */
  now?: () => number
}

/** The deepest real WMF schema (a page state-change fragment) nests 10 levels. */
export const defaultMaxSchemaDepth = 64

/** Remembered failures beyond this many drop the oldest, so random URIs cannot grow memory. */
const maxRememberedFailures = 10000

interface CacheEntry {
  promise: Promise<ResolvedSchema>
  versioned: boolean
  settled: boolean
  /** Set once the load succeeded. */
  value?: ResolvedSchema
}

/**
 * Looks up `$schema` URIs in the configured repositories, compiles them with
 * the Ajv of their draft and caches the result:
 *
 * - by the URI string: concurrent first requests share one load and compile;
 *   versioned URIs (`.../1.2.0`) stay cached for the life of the resolver,
 *   others (`.../latest`) until `clear()`;
 * - by `$id`: two URIs that reach the same document share one validator;
 * - failures for at most `failureRetryMs`, then the next request tries again.
 *   Refused URIs are not remembered: refusing needs no I/O.
 */
export function createSchemaResolver (options: SchemaResolverOptions): SchemaResolver {
  const logger = options.logger.child({ module: 'schema-lookup' })
  const limits = { maxSchemaBytes: options.maxSchemaBytes, maxDepth: options.maxDepth ?? defaultMaxSchemaDepth }
  const entries = new Map<string, CacheEntry>()
  const failures = createFailureMemory(options.failureRetryMs, options.now ?? Date.now)

  const loadDocument = async (uri: string, location: SchemaLocation = locateSchema(uri, options)): Promise<SchemaDocument> => {
    return parseSchemaDocument(uri, await readSchemaText(uri, location, options.fileExtension), limits)
  }
  const compiler = createSchemaCompiler({ loadReferenced: loadDocument, logger, annotationKeywords: options.annotationKeywords })

  const load = async (uri: string, location: SchemaLocation): Promise<ResolvedSchema> => {
    const started = performance.now()
    try {
      const { document, draft } = await loadDocument(uri, location)
      const published = await asPublished(uri, location, document, draft)
      if (published !== undefined) return published
      const compiled = await compiler.compile(uri, document, draft)
      logger.debug({ uri, schemaId: compiled.id, draft, ms: Math.round(performance.now() - started) }, 'schema ready')
      return { uri, id: compiled.id, title: compiled.title, schema: compiled.original, validate: compiled.validate }
    } catch (err) {
      if (err instanceof SchemaLoadError) throw err.inSchema(uri)
      throw new SchemaInvalidError(uri, 'the schema cannot be loaded', { cause: err })
    }
  }

  /**
   * A document reached by a URI that names no version (`latest`, `current.yaml`) and whose `$id`
   * names a published version is that version, or a draft the client should not have asked for:
   * compiled as it is, a draft would take the version's `$id` and fail the real one for everyone.
   */
  const asPublished = async (uri: string, location: SchemaLocation, document: SchemaNode, draft: Draft): Promise<ResolvedSchema | undefined> => {
    const rawId = document[idKeyword(draft)]
    if (typeof rawId !== 'string' || isVersionedPath(location.path) || isAbsoluteSchemaUri(rawId)) return undefined
    const id = ajvKey(rawId)
    if (!isVersionedPath(id)) return undefined
    const published = await resolve(id).catch((err: unknown) => {
      if (err instanceof SchemaNotFoundError || err instanceof SchemaUriRefusedError) {
        throw new SchemaNotPublishedError(uri, `it is not a published schema: its $id ${rawId} names a version that does not exist; use a published version's URI`, { pointer: `/${idKeyword(draft)}` })
      }
      throw err
    })
    if (!isDeepStrictEqual(published.schema, document)) {
      throw new SchemaNotPublishedError(uri, `it is not a published schema: its $id ${rawId} names a version whose document is different; use the version's URI`, { pointer: `/${idKeyword(draft)}` })
    }
    return { ...published, uri }
  }

  const resolve = async (uri: string): Promise<ResolvedSchema> => {
    const entry = entries.get(uri)
    if (entry !== undefined) return entry.promise
    const failed = failures.recent(uri)
    if (failed !== undefined) throw failed
    const location = locateSchema(uri, options)
    const created: CacheEntry = { promise: load(uri, location), versioned: isVersionedPath(location.path), settled: false }
    entries.set(uri, created)
    created.promise.then((value) => {
      created.settled = true
      created.value = value
    }, (error: SchemaLoadError) => {
      if (entries.get(uri) === created) entries.delete(uri)
      failures.remember(uri, error)
      logger.warn({ uri, err: { code: error.code, message: error.message }, tried: error.tried }, 'schema lookup failed')
    })
    return created.promise
  }

  return {
    resolve,
    cached: (uri) => entries.get(uri)?.value,
    async precache (uris) {
      for (const uri of uris) await resolve(uri)
    },
    clear () {
      failures.clear()
      for (const [uri, entry] of entries) {
        if (entry.settled && !entry.versioned) entries.delete(uri)
      }
    }
  }
}

interface FailureMemory {
  /** The failure of `uri` within the retry interval, if any. */
  recent: (uri: string) => SchemaLoadError | undefined
  remember: (uri: string, error: SchemaLoadError) => void
  clear: () => void
}

/** Failed loads, each answered again for `retryMs` (none when 0), the oldest dropped beyond a bound. */
function createFailureMemory (retryMs: number, now: () => number): FailureMemory {
  const failures = new Map<string, { error: SchemaLoadError, failedAt: number }>()
  return {
    recent (uri) {
      const failure = failures.get(uri)
      if (failure === undefined) return undefined
      if (now() - failure.failedAt < retryMs) return failure.error
      failures.delete(uri)
      return undefined
    },
    remember (uri, error) {
      if (retryMs <= 0) return
      const at = now()
      for (const [key, failure] of failures) {
        if (at - failure.failedAt < retryMs && failures.size < maxRememberedFailures) break
        failures.delete(key)
      }
      failures.set(uri, { error, failedAt: at })
    },
    clear: () => { failures.clear() }
  }
}
