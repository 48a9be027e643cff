import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Dispatcher } from 'undici'
import { ConfigInvalidError, messageOf } from '../../errors.js'
import type { SchemaSource } from '../document/source.js'
import { createFileSchemaSource } from './file-source.js'
import { createHttpSchemaSource } from './http-source.js'
import { normalizeBaseUri } from './uri.js'

export interface BaseUriSourceOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  maxBytes: number
  userAgent: string
  /** Plain relative directories are resolved against this. */
  cwd: string
}

/**
 * Builds sources from EventGate-style `schema_base_uris` entries, in order:
 * `file:///dir/`, a plain directory (`/srv/schemas`, `schemas/`, relative to
 * `cwd`), or `http(s)://host/path/`. Anything else is a configuration error.
 */
export function createSourcesFromBaseUris (baseUris: readonly string[], options: BaseUriSourceOptions): SchemaSource[] {
  const problems: string[] = []
  const sources: SchemaSource[] = []
  for (const [index, base] of baseUris.entries()) {
    try {
      sources.push(createSourceFromBaseUri(base, options))
    } catch (err) {
      problems.push(`schema_base_uris[${index}] '${base}': ${messageOf(err)}`)
    }
  }
  if (problems.length > 0) throw new ConfigInvalidError('schema_base_uris', problems)
  return sources
}

function createSourceFromBaseUri (base: string, options: BaseUriSourceOptions): SchemaSource {
  if (/^https?:\/\//i.test(base)) {
    return createHttpSchemaSource({
      baseUrl: normalizeBaseUri(base),
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      userAgent: options.userAgent
    })
  }
  if (/^file:/i.test(base)) {
    return createFileSchemaSource(fileURLToPath(normalizeBaseUri(base)), { maxBytes: options.maxBytes })
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(base)) {
    throw new TypeError('only file:, http: and https: schema base URIs are supported')
  }
  const dir = isAbsolute(base) ? base : resolve(options.cwd, base)
  // Keep the directory form so `baseUri` matches `file://` URIs of files below it.
  return createFileSchemaSource(fileURLToPath(normalizeBaseUri(pathToFileURL(dir).href)), { maxBytes: options.maxBytes })
}
