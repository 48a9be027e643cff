import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SchemaSource } from '../document/source.js'
import { SchemaFetchError, SchemaTooLargeError, SchemaUriRefusedError } from './errors.js'
import { normalizeBaseUri } from './uri.js'

export interface FileSchemaSourceOptions {
  /** Files larger than this are refused before they are read. */
  maxBytes?: number
}

/**
 * Reads schemas from a directory. Symlinks are followed only while they stay
 * inside it: WMF repositories link `latest` and `1.0.0` to `1.0.0.yaml`, and
 * those keep working, while a link to `/etc` is refused. The directory itself
 * is resolved on every read, so a deploy that swaps a `current -> release-N`
 * link is picked up.
 */
export function createFileSchemaSource (dir: string, options: FileSchemaSourceOptions = {}): SchemaSource {
  const rootDir = resolve(dir)
  const baseUri = normalizeBaseUri(pathToFileURL(rootDir).href)
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
  return {
    description: baseUri,
    baseUri,
    async read (relativePath) {
      let root: string
      try {
        root = await realpath(rootDir)
      } catch (err) {
        throw new SchemaFetchError(relativePath, 'the schema repository directory cannot be read', { cause: err, tried: [baseUri] })
      }
      const full = resolve(root, relativePath)
      if (!isInside(root, full)) throw new SchemaUriRefusedError(relativePath, 'the path leaves the schema repository')
      let real: string
      try {
        real = await realpath(full)
      } catch (err) {
        if (isAbsentError(err)) return undefined
        throw new SchemaFetchError(relativePath, 'the schema file cannot be read', { cause: err, tried: [baseUri] })
      }
      if (!isInside(root, real)) {
        throw new SchemaUriRefusedError(relativePath, 'the path resolves (through a symlink) outside the schema repository')
      }
      return readRegularFile(real, relativePath, maxBytes, baseUri)
    }
  }
}

async function readRegularFile (path: string, relativePath: string, maxBytes: number, baseUri: string): Promise<string | undefined> {
  let handle
  try {
    // O_NOFOLLOW: the checked path is final; a link swapped in after realpath() is not followed.
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (err) {
    if (isAbsentError(err)) return undefined
    throw new SchemaFetchError(relativePath, 'the schema file cannot be read', { cause: err, tried: [baseUri] })
  }
  try {
    const stats = await handle.stat()
    // A directory (`/mediawiki/revision/create` tried as is) is not a schema file.
    if (!stats.isFile()) return undefined
    if (stats.size > maxBytes) {
      throw new SchemaTooLargeError(relativePath, `the schema file is larger than ${maxBytes} bytes`, { limit: maxBytes })
    }
    const content = await handle.readFile()
    if (content.length > maxBytes) {
      throw new SchemaTooLargeError(relativePath, `the schema file is larger than ${maxBytes} bytes`, { limit: maxBytes })
    }
    return content.toString('utf8')
  } catch (err) {
    if (err instanceof SchemaTooLargeError) throw err
    throw new SchemaFetchError(relativePath, 'the schema file cannot be read', { cause: err, tried: [baseUri] })
  } finally {
    await handle.close()
  }
}

function isInside (root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

function isAbsentError (err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  // A name too long for the file system (a segment near the limit with `.yaml` appended) names no file.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG'
}
