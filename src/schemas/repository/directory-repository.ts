import { resolve } from 'node:path'
import { loadRepositoryConfig } from './config.js'
import type { RepositoryConfig } from './config.js'
import { createDirectoryFiles } from './directory-files.js'
import { createRepositoryCore } from './repository.js'
import type { RepositoryCore, SchemaRepository } from './repository.js'

export interface SchemaDirectory {
  /** The repository directory (where its config file is). */
  dir: string
  /** Where the schema tree starts: `dir` joined with the config's schemaBasePath. */
  base: string
  config: RepositoryConfig
  repository: RepositoryCore
}

/** A schema repository on disk with its config, for the CLI and the checks. */
export async function openSchemaDirectory (dir: string): Promise<SchemaDirectory> {
  const absolute = resolve(dir)
  const config = await loadRepositoryConfig(absolute)
  const base = resolve(absolute, config.schemaBasePath)
  return { dir: absolute, base, config, repository: createRepositoryCore(createDirectoryFiles(base), { immutable: false }) }
}

/**
 * Serves the schemas in `dir` as they are on disk, re-reading on every call, so
 * edits and newly materialized versions show up at once. `dir` may be the
 * schema tree itself or a repository whose config names a schemaBasePath.
 */
export function openDirectoryRepository (dir: string): SchemaRepository {
  let opened: Promise<SchemaDirectory> | undefined
  const repository = (): Promise<RepositoryCore> => {
    opened ??= openSchemaDirectory(dir)
    opened.catch(() => { opened = undefined })
    return opened.then((d) => d.repository)
  }
  return {
    description: `directory ${resolve(dir)}`,
    read: async (path) => (await repository()).read(path),
    listTitles: async () => (await repository()).listTitles(),
    listVersions: async (title) => (await repository()).listVersions(title),
    readVersion: async (title, version) => (await repository()).readVersion(title, version)
  }
}
