import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { SchemaFiles } from './schema-files.js'

/** Bounds the walk so a symlink loop or a huge unrelated tree cannot stall it. */
const maxDepth = 32

/** A schema tree on disk. Nothing is cached: edits show up on the next call. */
export function createDirectoryFiles (base: string): SchemaFiles {
  async function list (): Promise<string[]> {
    const out: string[] = []
    await walk(base, '', 0, out)
    return out.sort()
  }

  async function resolveInside (path: string): Promise<string | undefined> {
    let real: string
    let baseReal: string
    try {
      real = await realpath(join(base, ...path.split('/')))
      baseReal = await realpath(base)
    } catch (err) {
      if (isMissing(err)) return undefined
      throw err
    }
    // A symlink may point anywhere on disk; only what stays inside the tree is served.
    return real.startsWith(baseReal + sep) ? real : undefined
  }

  return {
    description: `directory ${base}`,
    list,
    async readText (path) {
      const real = await resolveInside(path)
      if (real === undefined) return undefined
      try {
        if (!(await stat(real)).isFile()) return undefined
        return await readFile(real, 'utf8')
      } catch (err) {
        if (isMissing(err)) return undefined
        throw err
      }
    },
    async readLink (path) {
      const full = join(base, ...path.split('/'))
      try {
        if (!(await lstat(full)).isSymbolicLink()) return undefined
        return await readlink(full)
      } catch (err) {
        if (isMissing(err)) return undefined
        throw err
      }
    }
  }
}

async function walk (dir: string, prefix: string, depth: number, out: string[]): Promise<void> {
  if (depth > maxDepth) return
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (isMissing(err) && depth === 0) return
    throw err
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) {
      await walk(join(dir, entry.name), path, depth + 1, out)
    } else if (entry.isFile()) {
      out.push(path)
    } else if (entry.isSymbolicLink()) {
      // Version and latest pointers are file symlinks (a dangling one is listed so the
      // check can report it); directory symlinks are not followed.
      const target = await stat(join(dir, entry.name)).catch(() => undefined)
      if (target === undefined || target.isFile()) out.push(path)
    }
  }
}

function isMissing (err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}
