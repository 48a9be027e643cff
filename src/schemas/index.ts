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
export type { Draft } from './document/ajv.js'
export { draftOf } from './document/ajv.js'
export type { InsecureSchemaProblem } from './document/secure.js'
export { findInsecureSchemaProblems } from './document/secure.js'
export { parseSchemaText, toJson, toYaml } from './document/serialize.js'

export type { BaseUriSourceOptions } from './lookup/base-uris.js'
export { createSourcesFromBaseUris } from './lookup/base-uris.js'
export type { FileSchemaSourceOptions } from './lookup/file-source.js'
export { createFileSchemaSource } from './lookup/file-source.js'
export type { HttpSchemaSourceOptions } from './lookup/http-source.js'
export { createHttpSchemaSource } from './lookup/http-source.js'
export type { ResolvedSchema, SchemaResolver, SchemaResolverOptions } from './lookup/validator-cache.js'
export { createSchemaResolver, defaultMaxSchemaDepth } from './lookup/validator-cache.js'
export { formatErrorsText } from './lookup/errors-text.js'
export { candidatePaths, hasFileExtension, isAbsoluteSchemaUri, isVersionedPath, normalizeSchemaPath } from './lookup/uri.js'
export type { SchemaErrorDetails } from './lookup/errors.js'
export {
  SchemaLoadError, SchemaNotFoundError, SchemaUriRefusedError, SchemaInsecureError, SchemaInvalidError, SchemaTooLargeError,
  SchemaFetchError
} from './lookup/errors.js'

export type { SchemaRepository, RepositoryCore, RepositoryIndex, TitleEntry } from './repository/repository.js'
export { createRepositoryCore, indexFiles } from './repository/repository.js'
export { openDirectoryRepository, openSchemaDirectory } from './repository/directory-repository.js'
export type { SchemaDirectory } from './repository/directory-repository.js'
export { openGitRepository } from './repository/open.js'
export type { GitRepositoryOptions } from './repository/open.js'
export type { GitSchemaRepository } from './repository/git-repository.js'
export { loadRepositoryConfig, defaultRepositoryConfig, sluiceConfigFile, jsonschemaToolsConfigFile } from './repository/config.js'
export { sluiceConventions, safeIntegerBounds } from './repository/config.js'
export type { RepositoryConfig, RuleException, MaterializeConventions } from './repository/config.js'
export { rules } from './repository/rules.js'
export type { RuleName, RuleCategory } from './repository/rules.js'
export { changedFiles, filesAt, gitTopLevel, runGit, showFile } from './repository/git.js'
export { parseSchemaId, schemaIdOf } from './repository/schema-path.js'
export { compareVersions, sortVersions } from './repository/version.js'

export { materializeSchema } from './publishing/materialize.js'
export type { MaterializeOptions } from './publishing/materialize.js'
export { dereference } from './publishing/dereference.js'
export type { ReferenceLoader } from './publishing/dereference.js'
export { mergeAllOf } from './publishing/merge-all-of.js'
export { repositoryReferenceLoader } from './publishing/reference-loader.js'
export { materializeTitles, dependencyOrder } from './publishing/materialize-files.js'
export type { MaterializedVersion, MaterializeFilesOptions } from './publishing/materialize-files.js'

export { checkRepository } from './checks/check.js'
export type { Baseline, CheckOptions, CheckReport } from './checks/check.js'
export { checkDraft } from './checks/check-draft.js'
export type { DraftCheckResult } from './checks/check-draft.js'
export { checkRobustness } from './checks/robustness.js'
export { checkCompatibility } from './checks/compatibility.js'
export { checkTitleStructure } from './checks/structure.js'
export type { Violation, CompatibilityChange } from './checks/violation.js'
export { explainViolation, formatReport, reportToJson } from './checks/explain.js'

export { schemaRoutes } from './api/routes.js'
export type { SchemaRoutesOptions } from './api/routes.js'

export * from './errors.js'
