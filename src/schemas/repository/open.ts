import { findSchemaTree } from './config.js'
import { openGitRef } from './git-repository.js'
import type { GitRefOptions, GitSchemaRepository } from './git-repository.js'

export interface GitRepositoryOptions extends Omit<GitRefOptions, 'schemaTree'> {
  /** Directory of the schema tree inside the repository; default: the config's schemaBasePath, else `schemas` when present, else the root. */
  path?: string
}

/**
 * A schema repository served from a git ref: the git storage, told by the
 * repository config of each commit where its schema tree starts. Storage
 * itself never reads the config.
 */
export function openGitRepository (options: GitRepositoryOptions): GitSchemaRepository {
  const { path, ...ref } = options
  return openGitRef({ ...ref, schemaTree: async (commit) => path ?? await findSchemaTree(commit) })
}
