import { mkdir, readFile, readlink, symlink, unlink, writeFile, lstat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isRecord, deepEqual } from '../document/json-value.js'
import { parseSchemaText, toJson, toYaml } from '../document/serialize.js'
import { compareVersions } from '../document/version.js'
import { RefUnresolvedError, VersionPublishedError } from '../errors.js'
import { SchemaUnparsableError } from '../errors.js'
import type { SchemaDirectory } from '../repository/directory-repository.js'
import { parseSchemaId } from '../repository/schema-path.js'
import { materializeSchema } from './materialize.js'
import { repositoryReferenceLoader } from './reference-loader.js'

export interface MaterializeFilesOptions {
  directory: SchemaDirectory
  titles: readonly string[]
  /** A file as committed, to refuse rewriting a published version; undefined outside git. */
  published?: (path: string) => Promise<string | undefined>
  /** Rewrite published versions anyway (for a tooling change, never for a schema change). */
  force?: boolean
}

export interface MaterializedVersion {
  title: string
  version: string
  /** Files created or rewritten, relative to the schema base. */
  written: string[]
  /** Whether `latest` now points at this version. */
  latest: boolean
}

/**
 * Writes `<X.Y.Z>.<type>` for each content type and the `X.Y.Z`/`latest`
 * pointers for every title's current.yaml, fragments before the schemas that
 * include them. Output is byte-identical on re-run; an unchanged file is not
 * touched.
 */
export async function materializeTitles (options: MaterializeFilesOptions): Promise<MaterializedVersion[]> {
  const { directory } = options
  const sources = new Map<string, Record<string, unknown>>()
  for (const title of options.titles) {
    const file = `${title}/current.yaml`
    const text = await directory.repository.readResolved(file)
    if (text === undefined) throw new SchemaUnparsableError(file, 'no such file')
    sources.set(title, parseSchemaText(text, file))
  }
  const out: MaterializedVersion[] = []
  for (const title of dependencyOrder(sources)) {
    out.push(await materializeOne(options, title, sources.get(title) as Record<string, unknown>))
  }
  return out
}

async function materializeOne (options: MaterializeFilesOptions, title: string, source: Record<string, unknown>): Promise<MaterializedVersion> {
  const { directory } = options
  const { config, repository, base } = directory
  const id = parseSchemaId(source.$id)
  if (id === undefined || id.title !== title) {
    throw new SchemaUnparsableError(`${title}/current.yaml`, `$id must be /${title}/<X.Y.Z>, not ${JSON.stringify(source.$id)}`)
  }
  const schema = await materializeSchema(source, { load: repositoryReferenceLoader(repository), conventions: config.conventions })
  const previous = await repository.listVersions(title)
  const written: string[] = []
  for (const type of config.contentTypes) {
    const path = `${title}/${id.version}.${type}`
    const text = type === 'yaml' ? toYaml(schema) : toJson(schema)
    const existing = await readFile(join(base, path), 'utf8').catch(() => undefined)
    if (existing === text) continue
    if (options.force !== true) {
      const committed = await options.published?.(path)
      if (committed !== undefined && !sameSchema(committed, schema, path)) throw new VersionPublishedError(path)
    }
    await mkdir(dirname(join(base, path)), { recursive: true })
    await writeFile(join(base, path), text)
    written.push(path)
  }
  const primary = config.contentTypes[0] ?? 'yaml'
  const pointers: Array<[string, string]> = [[id.version, `${id.version}.${primary}`]]
  const newest = previous.at(-1)
  const latest = newest === undefined || compareVersions(id.version, newest) >= 0
  if (latest) {
    pointers.push(['latest', `${id.version}.${primary}`])
    for (const type of config.contentTypes) pointers.push([`latest.${type}`, `${id.version}.${type}`])
  }
  for (const [name, target] of pointers) {
    if (await setPointer(join(base, title, name), target)) written.push(`${title}/${name}`)
  }
  return { title, version: id.version, written, latest }
}

function sameSchema (text: string, schema: Record<string, unknown>, path: string): boolean {
  try {
    return deepEqual(parseSchemaText(text, path), schema)
  } catch {
    return false
  }
}

/** Makes `path` a symlink to `target`; true when something changed. */
async function setPointer (path: string, target: string): Promise<boolean> {
  const current = await lstat(path).catch(() => undefined)
  if (current?.isSymbolicLink() === true && await readlink(path) === target) return false
  if (current !== undefined) await unlink(path)
  try {
    await symlink(target, path)
  } catch (err) {
    // Without symlink support, git itself stores a link as a file holding the target name.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EACCES') throw err
    await writeFile(path, target)
  }
  return true
}

/** Titles ordered so that every `$ref`'d title in the set comes before the titles that use it. */
export function dependencyOrder (sources: ReadonlyMap<string, unknown>): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (title: string, path: readonly string[]): void => {
    const seen = state.get(title)
    if (seen === 'done') return
    if (seen === 'visiting') {
      throw new RefUnresolvedError(`/${title}`, '', `circular references between ${[...path, title].join(' → ')}`)
    }
    state.set(title, 'visiting')
    for (const dependency of referencedTitles(sources.get(title))) {
      if (dependency !== title && sources.has(dependency)) visit(dependency, [...path, title])
    }
    state.set(title, 'done')
    order.push(title)
  }
  for (const title of [...sources.keys()].sort()) visit(title, [])
  return order
}

function referencedTitles (value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencedTitles(item, out)
  else if (isRecord(value)) {
    if (typeof value.$ref === 'string' && value.$ref.startsWith('/')) {
      const id = parseSchemaId(value.$ref.split('#')[0]?.replace(/\.(yaml|json)$/, ''))
      if (id !== undefined) out.add(id.title)
    }
    for (const child of Object.values(value)) referencedTitles(child, out)
  }
  return out
}
