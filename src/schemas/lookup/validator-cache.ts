import { performance } from 'node:perf_hooks'
import { isDeepStrictEqual } from 'node:util'
import type { AnySchemaObject, ValidateFunction } from 'ajv'
import { deepFreeze } from '../../config/load.js'
import type { Logger } from '../../logger.js'
import { createAjvSet, draftOf, idKeyword, prepareSchema } from '../document/ajv.js'
import type { AjvCore, Draft } from '../document/ajv.js'
import { exceededJsonLimit, isRecord } from '../document/json-value.js'
import { findInsecureSchemaProblems } from '../document/secure.js'
import { parseYamlText } from '../document/serialize.js'
import type { SchemaSource } from '../document/source.js'
import type { SchemaNode } from '../document/walk.js'
import {
  SchemaFetchError, SchemaInsecureError, SchemaInvalidError, SchemaLoadError, SchemaNotFoundError, SchemaNotPublishedError,
  SchemaTooLargeError, SchemaUriRefusedError
} from './errors.js'
import { candidatePaths, isAbsoluteSchemaUri, isVersionedPath, normalizeSchemaPath, pathBelowBase } from './uri.js'
import { messageOf } from '../../errors.js'

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

interface Failure {
  error: SchemaLoadError
  failedAt: number
}

interface Compiled {
  id: string | undefined
  title: string | undefined
  /** What Ajv compiled; compared when another document claims the same `$id`. */
  prepared: SchemaNode
  original: Readonly<Record<string, unknown>>
  validate: ValidateFunction
}

interface Location {
  path: string
  sources: readonly SchemaSource[]
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
  const now = options.now ?? Date.now
  const maxDepth = options.maxDepth ?? defaultMaxSchemaDepth
  const entries = new Map<string, CacheEntry>()
  const failures = new Map<string, Failure>()
  const compiledById = new Map<string, Promise<Compiled>>()

  const locate = (uri: string): Location => {
    if (typeof uri !== 'string') throw new SchemaUriRefusedError(String(uri), 'the schema URI is not a string')
    if (!isAbsoluteSchemaUri(uri)) return { path: normalizeSchemaPath(uri), sources: options.sources }
    if (!options.allowAbsoluteUris) {
      throw new SchemaUriRefusedError(uri, `absolute schema URIs are not allowed but event schema_uri is ${uri}`)
    }
    let url: URL
    try {
      url = new URL(uri)
    } catch (err) {
      throw new SchemaUriRefusedError(uri, 'not a valid URL', { cause: err })
    }
    const source = options.absoluteUriSource === undefined
      ? options.sources.find((candidate) => candidate.baseUri !== undefined && uri.startsWith(candidate.baseUri))
      : options.absoluteUriSource(url)
    return { path: pathBelowBase(uri, source?.baseUri), sources: source === undefined ? [] : [source] }
  }

  const read = async (uri: string, location: Location): Promise<string> => {
    const tried: string[] = []
    const errors: unknown[] = []
    for (const source of location.sources) {
      for (const path of candidatePaths(location.path, options.fileExtension)) {
        tried.push(`${source.description} ${path}`)
        let text: string | undefined
        try {
          text = await source.read(path)
        } catch (err) {
          // Found but unacceptable (outside the repository, too large): stop here.
          if (err instanceof SchemaLoadError && !(err instanceof SchemaFetchError)) throw err.forUri(uri)
          errors.push(err)
          // A repository that failed once for this URI will most likely fail for its other names too.
          break
        }
        if (text !== undefined) return text
      }
    }
    if (errors.length === 0) throw new SchemaNotFoundError(uri, undefined, { tried })
    const first = errors[0]
    const detail = first instanceof SchemaLoadError ? first.detail : 'reading from a schema repository failed'
    throw new SchemaFetchError(uri, detail, { tried, cause: errors.length === 1 ? first : new AggregateError(errors) })
  }

  const parse = (uri: string, text: string): { document: SchemaNode, draft: Draft } => {
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > options.maxSchemaBytes) {
      throw new SchemaTooLargeError(uri, `the schema document is larger than ${options.maxSchemaBytes} bytes`, { limit: options.maxSchemaBytes })
    }
    const parsed = parseYamlText(text)
    if (!parsed.ok) {
      throw new SchemaInvalidError(uri, `the schema document is not valid YAML or JSON: ${parsed.reason}`, { cause: parsed.cause })
    }
    const document = parsed.value
    if (!isRecord(document)) throw new SchemaInvalidError(uri, 'the schema document is not a JSON Schema object')
    const exceeded = exceededJsonLimit(document, { maxDepth, maxValues: bytes })
    if (exceeded === 'depth') {
      throw new SchemaTooLargeError(uri, `the schema document is nested deeper than ${maxDepth} levels`, { limit: maxDepth })
    }
    if (exceeded === 'values') {
      throw new SchemaTooLargeError(uri, 'the schema document expands (through YAML aliases) to more values than it has bytes', { limit: bytes })
    }
    const draft = draftOf(document)
    if (draft === undefined) {
      throw new SchemaInvalidError(uri, `unsupported meta-schema ${JSON.stringify(document.$schema)}`, { pointer: '/$schema' })
    }
    const problems = findInsecureSchemaProblems(document)
    const first = problems[0]
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
      throw new SchemaInsecureError(uri, `insecure schema: ${first.message} at '${first.pointer}'${more}`, { pointer: first.pointer })
    }
    return { document, draft }
  }

  const loadDocument = async (uri: string, location: Location = locate(uri)): Promise<{ document: SchemaNode, draft: Draft }> => {
    return parse(uri, await read(uri, location))
  }

  const loadReferenced = async (draft: Draft, uri: string): Promise<AnySchemaObject> => {
    const loaded = await loadDocument(uri)
    if (loaded.draft !== draft) {
      throw new SchemaInvalidError(uri, `the schema is written for ${loaded.draft} but is referenced from a ${draft} schema`)
    }
    logger.debug({ uri }, 'loaded referenced schema')
    return prepareSchema(loaded.document, draft)
  }

  const ajvFor = createAjvSet({ loadSchema: loadReferenced, logger, annotationKeywords: options.annotationKeywords })

  const compileFresh = async (uri: string, document: SchemaNode, prepared: SchemaNode, draft: Draft, id: string | undefined): Promise<Compiled> => {
    const ajv = ajvFor(draft)
    const key = id === undefined ? undefined : ajvKey(id)
    if (id !== undefined && key !== undefined) {
      // Registered earlier as another schema's `$ref`, or left from a document this replaces.
      const registered = registeredSchema(ajv, key)
      if (registered !== undefined) {
        if (isDeepStrictEqual(registered.schema, prepared)) return describe(document, prepared, id, registered)
        if (isVersionedPath(key)) throw duplicateId(uri, id, draft)
      }
      ajv.removeSchema(key)
    }
    try {
      return describe(document, prepared, id, await ajv.compileAsync(prepared))
    } catch (err) {
      // Ajv registers the `$id` before compiling; a retry must not find it taken.
      if (key !== undefined) ajv.removeSchema(key)
      if (err instanceof SchemaLoadError) throw err.inSchema(uri)
      throw new SchemaInvalidError(uri, `the schema does not compile: ${messageOf(err)}`, { cause: err })
    }
  }

  const compile = async (uri: string, document: SchemaNode, draft: Draft): Promise<Compiled> => {
    const prepared = prepareSchema(document, draft)
    const rawId = document[idKeyword(draft)]
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined
    if (id === undefined) return compileFresh(uri, document, prepared, draft, id)
    const key = `${draft} ${ajvKey(id)}`
    const previous = compiledById.get(key)
    if (previous !== undefined) {
      const earlier = await previous.catch(() => undefined)
      if (earlier !== undefined) {
        if (isDeepStrictEqual(earlier.prepared, prepared)) return earlier
        if (isVersionedPath(ajvKey(id))) throw duplicateId(uri, id, draft)
        // An unversioned `$id` whose document changed (e.g. after clear()): the new one replaces it.
      }
    }
    const promise = compileFresh(uri, document, prepared, draft, id)
    compiledById.set(key, promise)
    promise.catch(() => {
      if (compiledById.get(key) === promise) compiledById.delete(key)
    })
    return promise
  }

  /**
   * A document reached by a URI that names no version (`latest`, `current.yaml`) and whose `$id`
   * names a published version is that version, or a draft the client should not have asked for:
   * compiled as it is, a draft would take the version's `$id` and fail the real one for everyone.
   */
  const asPublished = async (uri: string, location: Location, document: SchemaNode, draft: Draft): Promise<ResolvedSchema | undefined> => {
    const rawId = document[idKeyword(draft)]
    if (typeof rawId !== 'string' || isVersionedPath(location.path) || isAbsoluteSchemaUri(rawId)) return undefined
    const id = ajvKey(rawId)
    if (!isVersionedPath(id)) return undefined
    let published: ResolvedSchema
    try {
      published = await resolve(id)
    } catch (err) {
      if (err instanceof SchemaNotFoundError || err instanceof SchemaUriRefusedError) {
        throw new SchemaNotPublishedError(uri, `it is not a published schema: its $id ${rawId} names a version that does not exist; use a published version's URI`, { pointer: `/${idKeyword(draft)}` })
      }
      throw err
    }
    if (!isDeepStrictEqual(published.schema, document)) {
      throw new SchemaNotPublishedError(uri, `it is not a published schema: its $id ${rawId} names a version whose document is different; use the version's URI`, { pointer: `/${idKeyword(draft)}` })
    }
    return { ...published, uri }
  }

  const load = async (uri: string, location: Location): Promise<ResolvedSchema> => {
    const started = performance.now()
    try {
      const { document, draft } = await loadDocument(uri, location)
      const published = await asPublished(uri, location, document, draft)
      if (published !== undefined) return published
      const compiled = await compile(uri, document, draft)
      logger.debug({ uri, schemaId: compiled.id, draft, ms: Math.round(performance.now() - started) }, 'schema ready')
      return { uri, id: compiled.id, title: compiled.title, schema: compiled.original, validate: compiled.validate }
    } catch (err) {
      if (err instanceof SchemaLoadError) throw err.inSchema(uri)
      throw new SchemaInvalidError(uri, 'the schema cannot be loaded', { cause: err })
    }
  }

  const rememberFailure = (uri: string, error: SchemaLoadError): void => {
    if (options.failureRetryMs <= 0) return
    const at = now()
    for (const [key, failure] of failures) {
      if (at - failure.failedAt < options.failureRetryMs && failures.size < maxRememberedFailures) break
      failures.delete(key)
    }
    failures.set(uri, { error, failedAt: at })
  }

  const resolve = async (uri: string): Promise<ResolvedSchema> => {
    const entry = entries.get(uri)
    if (entry !== undefined) return entry.promise
    const failure = failures.get(uri)
    if (failure !== undefined) {
      if (now() - failure.failedAt < options.failureRetryMs) throw failure.error
      failures.delete(uri)
    }
    const location = locate(uri)
    const created: CacheEntry = { promise: load(uri, location), versioned: isVersionedPath(location.path), settled: false }
    entries.set(uri, created)
    created.promise.then((value) => {
      created.settled = true
      created.value = value
    }, (error: SchemaLoadError) => {
      if (entries.get(uri) === created) entries.delete(uri)
      rememberFailure(uri, error)
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

function describe (document: SchemaNode, prepared: SchemaNode, id: string | undefined, validate: ValidateFunction): Compiled {
  return {
    id,
    title: typeof document.title === 'string' ? document.title : undefined,
    prepared,
    original: deepFreeze(document),
    validate
  }
}

function duplicateId (uri: string, id: string, draft: Draft): SchemaInvalidError {
  return new SchemaInvalidError(uri, `its $id ${id} is already used by a different schema`, { pointer: `/${idKeyword(draft)}` })
}

/** Ajv's key for an `$id`: without a trailing `#` or `#/`. */
function ajvKey (id: string): string {
  return id.replace(/#\/?$/, '')
}

function registeredSchema (ajv: AjvCore, key: string): ValidateFunction | undefined {
  try {
    return ajv.getSchema(key)
  } catch {
    // Registered but not compilable on its own (refs not loaded yet): treat as absent.
    return undefined
  }
}
