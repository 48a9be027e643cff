import { isVersion } from '../document/version.js'
import { SchemaUriRefusedError } from './errors.js'

/** Longest `$schema` URI we look at; real ones are under 100 characters. */
const maxSchemaUriLength = 1024

/** Longest path segment: a file name longer than this (NAME_MAX) cannot be read anywhere. */
const maxSegmentLength = 255

/**
 * One path segment. Deliberately narrow: no `%` (so no encoded traversal or
 * separators), no `\`, `:`, `?`, `#`, whitespace or control characters, and no
 * leading dot (`.`, `..`, `.git`). Real schema titles only use letters, digits,
 * `_`, `-` and `.` for versions and extensions.
 */
const segmentPattern = /^[A-Za-z0-9_~+@-][A-Za-z0-9._~+@-]*$/

/** A scheme prefix (`http:`, `file:`, `data:`, `C:`…), so the URI is not a repository path. */
const schemePattern = /^[A-Za-z][A-Za-z0-9+.-]*:/

export function isAbsoluteSchemaUri (uri: string): boolean {
  return schemePattern.test(uri)
}

/**
 * Turns a relative `$schema` URI (`/test/event/1.0.0`, `test/event/1.0.0`, a
 * `$ref` such as `/fragment/common/1.0.0#`) into a repository-relative path
 * (`test/event/1.0.0`), or throws `SchemaUriRefusedError`. Runs before any I/O.
 *
 * @param uri the URI to report in errors, when `path` is only part of it
 */
export function normalizeSchemaPath (path: string, uri: string = path): string {
  if (path.length === 0) throw new SchemaUriRefusedError(uri, 'the schema URI is empty')
  if (path.length > maxSchemaUriLength) {
    throw new SchemaUriRefusedError(uri, `the schema URI is longer than ${maxSchemaUriLength} characters`)
  }
  if (path.startsWith('//')) throw new SchemaUriRefusedError(uri, 'network-path references are not schema paths')
  let rest = path.startsWith('/') ? path.slice(1) : path
  // `$ref`s point at whole documents with an empty fragment; any other fragment is not a file.
  if (rest.endsWith('#')) rest = rest.slice(0, -1)
  const segments = rest.split('/')
  for (const segment of segments) {
    if (!segmentPattern.test(segment)) {
      throw new SchemaUriRefusedError(uri, describeBadSegment(segment))
    }
    // The pattern admits only ASCII, so characters are bytes.
    if (segment.length > maxSegmentLength) {
      throw new SchemaUriRefusedError(uri, `a path segment is longer than ${maxSegmentLength} characters`)
    }
  }
  return segments.join('/')
}

function describeBadSegment (segment: string): string {
  if (segment === '') return 'empty path segments are not allowed'
  if (segment === '.' || segment === '..') return 'dot segments are not allowed'
  if (segment.startsWith('.')) return 'path segments may not start with a dot'
  if (segment.includes('%')) return 'percent-encoded characters are not allowed'
  return 'the schema URI may only contain letters, digits and - _ . ~ + @ in its path segments'
}

/**
 * EventGate's (`@wikimedia/url-get`) idea of "has an extension": the basename has
 * a dot and its last dot-segment is not numeric, so `1.0.0` and `latest` have
 * none and `current.yaml` has one.
 */
export function hasFileExtension (path: string): boolean {
  const basename = path.slice(path.lastIndexOf('/') + 1)
  const dot = basename.lastIndexOf('.')
  if (dot === -1) return false
  return !/^\d+$/.test(basename.slice(dot + 1))
}

/**
 * The repository files to try for a normalized path, in order.
 * With `fileExtension` (EventGate's `schema_file_extension`) the extension is
 * appended to extensionless names; without it the name is tried as is (the
 * repositories' extensionless symlinks), then with `.yaml`, then `.json`.
 */
export function candidatePaths (path: string, fileExtension?: string): string[] {
  if (hasFileExtension(path)) return [path]
  if (fileExtension !== undefined && fileExtension !== '') {
    return [path + (fileExtension.startsWith('.') ? fileExtension : `.${fileExtension}`)]
  }
  return [path, `${path}.yaml`, `${path}.json`]
}

/** `.../X.Y.Z` with an optional `.yaml`/`.yml`/`.json`: a published version, which never changes. */
export function isVersionedPath (path: string): boolean {
  return isVersion(path.slice(path.lastIndexOf('/') + 1).replace(/\.(ya?ml|json)$/, ''))
}

/**
 * Normalizes an EventGate-style base URI for prefix checks: a canonical URL
 * ending in `/`. Throws `TypeError` for anything that is not a plain
 * `file:`/`http:`/`https:` URL.
 */
export function normalizeBaseUri (base: string): string {
  const url = new URL(base)
  if (url.protocol !== 'file:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`unsupported scheme ${url.protocol} in schema base URI ${base}`)
  }
  if (url.username !== '' || url.password !== '') throw new TypeError('schema base URIs may not carry credentials')
  if (url.search !== '' || url.hash !== '') throw new TypeError('schema base URIs may not have a query or fragment')
  return url.href.endsWith('/') ? url.href : `${url.href}/`
}

/**
 * For an allowed absolute URI: the repository-relative path below `baseUri`, or
 * throws. The URI must already be in canonical URL form, which rules out
 * everything the URL parser would rewrite (`..`, `%2e%2e`, backslashes,
 * default ports, upper-case hosts) without having to list those cases.
 */
export function pathBelowBase (uri: string, baseUri: string | undefined): string {
  let url: URL
  try {
    url = new URL(uri)
  } catch (err) {
    throw new SchemaUriRefusedError(uri, 'not a valid URL', { cause: err })
  }
  if (url.protocol !== 'file:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SchemaUriRefusedError(uri, `the ${url.protocol} scheme is not allowed`)
  }
  if (url.username !== '' || url.password !== '') throw new SchemaUriRefusedError(uri, 'credentials in schema URIs are not allowed')
  if (url.search !== '') throw new SchemaUriRefusedError(uri, 'query strings in schema URIs are not allowed')
  const withoutEmptyFragment = uri.endsWith('#') ? uri.slice(0, -1) : uri
  if (url.hash !== '' || `${url.origin === 'null' ? `${url.protocol}//` : url.origin}${url.pathname}` !== withoutEmptyFragment) {
    throw new SchemaUriRefusedError(uri, 'the URI is not in canonical form')
  }
  // Sources from elsewhere may give their base without the trailing slash: `/primary` must not admit `/primary-evil/`.
  let base: string | undefined
  try {
    base = baseUri === undefined ? undefined : normalizeBaseUri(baseUri)
  } catch {
    base = undefined
  }
  if (base === undefined || !withoutEmptyFragment.startsWith(base) || withoutEmptyFragment.length === base.length) {
    throw new SchemaUriRefusedError(uri, 'the URI is not below a configured schema base URI')
  }
  return normalizeSchemaPath(withoutEmptyFragment.slice(base.length), uri)
}
