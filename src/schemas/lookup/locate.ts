import type { SchemaSource } from '../document/source.js'
import { SchemaFetchError, SchemaLoadError, SchemaNotFoundError, SchemaUriRefusedError } from './errors.js'
import { candidatePaths, isAbsoluteSchemaUri, normalizeSchemaPath, pathBelowBase } from './uri.js'

/** Where a `$schema` URI is looked for: a repository path and the sources that may hold it. */
export interface SchemaLocation {
  path: string
  sources: readonly SchemaSource[]
}

export interface LocateOptions {
  /** Tried in order, like EventGate's `schema_base_uris`. */
  sources: readonly SchemaSource[]
  /** EventGate wmf: absolute URIs are refused unless allowed. */
  allowAbsoluteUris: boolean
  /** Picks the source for an allowed absolute URI (default: the first whose `baseUri` the URI starts with). */
  absoluteUriSource?: (uri: URL) => SchemaSource | undefined
}

/** Where `uri` is looked for; refused (SchemaUriRefusedError) before any I/O when it may not be. */
export function locateSchema (uri: string, options: LocateOptions): SchemaLocation {
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

/**
 * The text of the first candidate file (EventGate's `schema_file_extension` rule) found in the
 * location's sources, in order. Not found anywhere is SchemaNotFoundError with every place
 * tried; a repository that could not be read is SchemaFetchError.
 */
export async function readSchemaText (uri: string, location: SchemaLocation, fileExtension: string | undefined): Promise<string> {
  const tried: string[] = []
  const errors: unknown[] = []
  for (const source of location.sources) {
    for (const path of candidatePaths(location.path, fileExtension)) {
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
