import { parseSchemaText, toJson, toYaml } from '../document/serialize.js'
import type { SchemaSource } from '../document/source.js'
import { isVersion, sortVersions } from '../document/version.js'
import type { SchemaFiles } from './schema-files.js'
import { isTitle, parseVersionPath, splitSafePath } from './schema-path.js'
import type { SchemaFormat } from './schema-path.js'

export interface SchemaRepository extends SchemaSource {
  listTitles(): Promise<string[]>
  /** Published versions, ascending semver. */
  listVersions(title: string): Promise<string[]>
  readVersion(title: string, version: string | 'latest'): Promise<Record<string, unknown> | undefined>
}

export interface TitleEntry {
  title: string
  /** Published versions, ascending. */
  versions: string[]
  /** File names in the title's directory (not in sub-titles). */
  files: Set<string>
  hasCurrent: boolean
}

export interface RepositoryIndex {
  titles: Map<string, TitleEntry>
}

const versionFile = /^((?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))(?:\.(yaml|json))?$/
const pointerName = /^(?:latest(?:\.(?:yaml|json))?|(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))$/
/** What a pointer file (`latest`, `1.0.0`) may hold: the name of a sibling file. */
export const pointerTarget = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Which directories are schemas (they hold current.yaml or version files) and their versions. */
export function indexFiles (paths: readonly string[]): RepositoryIndex {
  const directories = new Map<string, Set<string>>()
  for (const path of paths) {
    const at = path.lastIndexOf('/')
    if (at === -1) continue
    const dir = path.slice(0, at)
    let names = directories.get(dir)
    if (names === undefined) directories.set(dir, names = new Set())
    names.add(path.slice(at + 1))
  }
  const titles = new Map<string, TitleEntry>()
  for (const [title, names] of [...directories.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const versions = new Set<string>()
    for (const name of names) {
      const version = versionFile.exec(name)?.[1]
      if (version !== undefined) versions.add(version)
    }
    const hasCurrent = names.has('current.yaml')
    if ((!hasCurrent && versions.size === 0) || !isTitle(title)) continue
    titles.set(title, { title, versions: sortVersions(versions), files: names, hasCurrent })
  }
  return { titles }
}

export interface RepositoryCore extends SchemaRepository {
  readonly files: SchemaFiles
  index(): Promise<RepositoryIndex>
  /**
   * A file's text with pointers followed: real symlinks, and the one-line files
   * a checkout without symlink support leaves in their place (`latest` holding
   * `2.0.0.yaml`).
   */
  readResolved(path: string): Promise<string | undefined>
}

export interface RepositoryCoreOptions {
  /** Keep the index and parsed versions; only for trees that never change (one git commit). */
  immutable: boolean
}

export function createRepositoryCore (files: SchemaFiles, options: RepositoryCoreOptions): RepositoryCore {
  let cachedIndex: Promise<RepositoryIndex> | undefined
  const parsed = new Map<string, Promise<Record<string, unknown> | undefined>>()

  function index (): Promise<RepositoryIndex> {
    if (!options.immutable) return files.list().then(indexFiles)
    cachedIndex ??= files.list().then(indexFiles)
    return cachedIndex
  }

  async function readResolved (path: string): Promise<string | undefined> {
    let current = path
    for (let hop = 0; hop < 4; hop++) {
      const text = await files.readText(current)
      if (text === undefined) return undefined
      const name = current.slice(current.lastIndexOf('/') + 1)
      const target = text.trim()
      if (!pointerName.test(name) || !pointerTarget.test(target) || text.length > 256) return text
      current = current.slice(0, current.lastIndexOf('/') + 1) + target
    }
    return undefined
  }

  async function readVersionText (title: string, version: string, format: SchemaFormat | undefined): Promise<string | undefined> {
    const entry = (await index()).titles.get(title)
    const resolved = version === 'latest' ? entry?.versions.at(-1) : version
    if (entry === undefined || resolved === undefined || !entry.versions.includes(resolved)) return undefined
    for (const candidate of format === undefined ? ['yaml', 'json'] as const : [format]) {
      const text = await readResolved(`${title}/${resolved}.${candidate}`)
      if (text !== undefined) return text
    }
    const extensionless = await readResolved(`${title}/${resolved}`)
    const other = extensionless ?? await readResolved(`${title}/${resolved}.${format === 'json' ? 'yaml' : 'json'}`)
    if (other === undefined || format === undefined) return other
    // Asked for a format the repository does not store: convert the one it does.
    const schema = parseSchemaText(other, `${title}/${resolved}`)
    return format === 'json' ? toJson(schema) : toYaml(schema)
  }

  /** Only published versions and their pointers are served: never current.yaml or other files. */
  async function read (relativePath: string): Promise<string | undefined> {
    const segments = splitSafePath(relativePath)
    const request = parseVersionPath(segments)
    if (request === undefined) return undefined
    const direct = await readResolved(segments.join('/'))
    if (direct !== undefined) return direct
    return readVersionText(request.title, request.version, request.format)
  }

  async function readVersion (title: string, version: string): Promise<Record<string, unknown> | undefined> {
    if (!isTitle(title) || (version !== 'latest' && !isVersion(version))) return undefined
    const entry = (await index()).titles.get(title)
    const resolved = version === 'latest' ? entry?.versions.at(-1) : version
    if (resolved === undefined) return undefined
    const load = async (): Promise<Record<string, unknown> | undefined> => {
      const text = await readVersionText(title, resolved, undefined)
      return text === undefined ? undefined : parseSchemaText(text, `${title}/${resolved}`)
    }
    if (!options.immutable) return load()
    const key = `${title}/${resolved}`
    let pending = parsed.get(key)
    if (pending === undefined) {
      pending = load()
      parsed.set(key, pending)
      pending.catch(() => parsed.delete(key))
    }
    return structuredClone(await pending)
  }

  return {
    description: files.description,
    files,
    index,
    readResolved,
    read,
    readVersion,
    async listTitles () {
      return [...(await index()).titles.values()].filter((e) => e.versions.length > 0).map((e) => e.title)
    },
    async listVersions (title) {
      if (!isTitle(title)) return []
      return [...((await index()).titles.get(title)?.versions ?? [])]
    }
  }
}
