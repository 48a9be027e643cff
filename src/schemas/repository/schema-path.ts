import { isVersion } from '../document/version.js'
import { SchemaPathInvalidError } from '../errors.js'

/** One directory name of a title: letters, digits, `_` and `-`, never a dot-name. */
const titleSegment = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/
/** One segment of any repository path (file names may have dots, but never start with one). */
const pathSegment = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
const maxPathLength = 1024

export function isTitle (title: string): boolean {
  return title.length > 0 && title.length <= maxPathLength && title.split('/').every((s) => titleSegment.test(s))
}

/**
 * Splits a repository-relative path into segments, refusing anything that could
 * leave the repository or reach hidden files (`..`, `.git`, backslashes, NUL,
 * encoded separators). Repeated slashes are collapsed: base URIs joined with a
 * leading-slash `$schema` produce them.
 */
export function splitSafePath (path: string): string[] {
  if (path.length > maxPathLength) throw new SchemaPathInvalidError(path.slice(0, 64) + '…', 'too long')
  const segments = path.split('/').filter((s) => s !== '')
  if (segments.length === 0) throw new SchemaPathInvalidError(path, 'empty path')
  for (const segment of segments) {
    if (!pathSegment.test(segment)) throw new SchemaPathInvalidError(path, `segment '${segment}' is not allowed`)
  }
  return segments
}

export type SchemaFormat = 'yaml' | 'json'

export interface VersionRequest {
  title: string
  /** `X.Y.Z` or `latest`. */
  version: string
  /** From a `.yaml`/`.json` suffix; undefined for an extensionless name. */
  format: SchemaFormat | undefined
}

/** `a/b/1.2.0.yaml` → title `a/b`, version `1.2.0`, format yaml; undefined when the last segment is not a version name. */
export function parseVersionPath (segments: readonly string[]): VersionRequest | undefined {
  if (segments.length < 2) return undefined
  const last = segments[segments.length - 1] as string
  const m = /^(.*?)(?:\.(yaml|json))?$/.exec(last)
  const name = m?.[1] ?? last
  const format = m?.[2] as SchemaFormat | undefined
  if (name !== 'latest' && !isVersion(name)) return undefined
  const title = segments.slice(0, -1).join('/')
  if (!isTitle(title)) return undefined
  return { title, version: name, format }
}

/** The `$id` of a version: `/<title>/<X.Y.Z>`. */
export function schemaIdOf (title: string, version: string): string {
  return `/${title}/${version}`
}

/** `/a/b/1.2.0` → `{title: 'a/b', version: '1.2.0'}`; undefined when it is not of that form. */
export function parseSchemaId (id: unknown): { title: string, version: string } | undefined {
  if (typeof id !== 'string' || !id.startsWith('/')) return undefined
  const at = id.lastIndexOf('/')
  const version = id.slice(at + 1)
  const title = id.slice(1, at)
  if (!isVersion(version) || !isTitle(title)) return undefined
  return { title, version }
}
