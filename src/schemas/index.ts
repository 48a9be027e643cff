/**
 * The schemas package: JSON Schema documents from where they are stored to where
 * they are used. `document/` is the core every other part builds on (parse,
 * walk, JSON pointers, the secure rules, the one Ajv factory); `repository/`
 * stores versions (a directory or a git ref) and reads the repository config;
 * `publishing/` materializes current.yaml into versions; `checks/` guards the
 * repository (structure, robustness, compatibility); `api/` serves it over
 * HTTP; `lookup/` finds and compiles the schema of an event for the gateway.
 * This file is the only way in.
 */
export type { SchemaSource } from './document/source.js'

export { createSourcesFromBaseUris } from './lookup/base-uris.js'
export type { BaseUriSourceOptions } from './lookup/base-uris.js'
export { createSchemaResolver } from './lookup/validator-cache.js'
export type { ResolvedSchema, SchemaResolver, SchemaResolverOptions } from './lookup/validator-cache.js'
export { formatErrorsText } from './lookup/errors-text.js'
export {
  SchemaLoadError, SchemaNotFoundError, SchemaUriRefusedError, SchemaInsecureError, SchemaInvalidError, SchemaTooLargeError,
  SchemaFetchError
} from './lookup/errors.js'

export type { SchemaRepository } from './repository/repository.js'
export { openDirectoryRepository, openSchemaDirectory } from './repository/directory-repository.js'
export type { SchemaDirectory } from './repository/directory-repository.js'
export { openGitRepository } from './repository/open.js'
export type { GitRepositoryOptions } from './repository/open.js'
export type { GitSchemaRepository } from './repository/git-repository.js'
export { loadRepositoryConfig } from './repository/config.js'
export type { RepositoryConfig } from './repository/config.js'
export { changedFiles, filesAt, gitTopLevel, showFile } from './repository/git.js'

export { materializeTitles } from './publishing/materialize-files.js'
export type { MaterializedVersion, MaterializeFilesOptions } from './publishing/materialize-files.js'

export { checkRepository } from './checks/check.js'
export type { Baseline, CheckOptions, CheckReport } from './checks/check.js'
export type { Violation } from './checks/violation.js'
export { formatReport, reportToJson } from './checks/explain.js'

export { schemaRoutes } from './api/routes.js'
export type { SchemaRoutesOptions } from './api/routes.js'

export * from './errors.js'
