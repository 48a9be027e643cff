import { SluiceError } from '../errors.js'

/** A title or version the repository does not hold. */
export class SchemaVersionNotFoundError extends SluiceError {
  readonly title: string
  readonly version: string | undefined
  constructor (title: string, version?: string) {
    super('SLUICE_ERR_REGISTRY_SCHEMA_NOT_FOUND',
      version === undefined ? `No schema titled '${title}'` : `No version ${version} of schema '${title}'`,
      { statusCode: 404 })
    this.title = title
    this.version = version
  }
}

/** A requested path that could escape the repository or is not a schema path at all. */
export class SchemaPathInvalidError extends SluiceError {
  readonly path: string
  constructor (path: string, reason: string) {
    super('SLUICE_ERR_REGISTRY_PATH_INVALID', `Invalid schema path '${path}': ${reason}`, { statusCode: 400 })
    this.path = path
  }
}

/** A schema file that is not YAML/JSON, or not a mapping. */
export class SchemaUnparsableError extends SluiceError {
  readonly file: string
  constructor (file: string, reason: string, cause?: unknown) {
    super('SLUICE_ERR_REGISTRY_SCHEMA_UNPARSABLE', `${file} is not a readable schema: ${reason}`, { statusCode: 422, cause })
    this.file = file
  }
}

/** A `$ref` that points nowhere (unknown schema, version or JSON pointer) or loops. */
export class RefUnresolvedError extends SluiceError {
  readonly ref: string
  readonly pointer: string
  constructor (ref: string, pointer: string, reason: string) {
    super('SLUICE_ERR_REGISTRY_REF_UNRESOLVED', `Cannot resolve $ref '${ref}' at ${pointer === '' ? '/' : pointer}: ${reason}`, { statusCode: 422 })
    this.ref = ref
    this.pointer = pointer
  }
}

/** Two `allOf` branches that set the same keyword to values that cannot be combined. */
export class MergeConflictError extends SluiceError {
  readonly pointer: string
  readonly keyword: string
  constructor (pointer: string, keyword: string, values: readonly unknown[]) {
    super('SLUICE_ERR_REGISTRY_MERGE_CONFLICT',
      `Cannot merge allOf at ${pointer === '' ? '/' : pointer}: '${keyword}' has conflicting values ${values.map((v) => JSON.stringify(v)).join(' and ')}`,
      { statusCode: 422 })
    this.pointer = pointer
    this.keyword = keyword
  }
}

/** The body of `POST /schemas/check` is not a schema. */
export class DraftInvalidError extends SluiceError {
  constructor (reason: string) {
    super('SLUICE_ERR_REGISTRY_DRAFT_INVALID', `Not a schema draft: ${reason}`, { statusCode: 400 })
  }
}

/** The repository's config file (`.sluice-schemas.yaml` or `.jsonschema-tools.yaml`) is unusable. */
export class RepositoryConfigInvalidError extends SluiceError {
  readonly problems: readonly string[]
  constructor (file: string, problems: readonly string[]) {
    super('SLUICE_ERR_REGISTRY_CONFIG_INVALID', `Invalid schema repository config ${file}:\n  - ${problems.join('\n  - ')}`, { statusCode: 500 })
    this.problems = problems
  }
}

/** A git command failed (network, unknown ref, corrupt clone). */
export class GitCommandError extends SluiceError {
  readonly args: readonly string[]
  readonly stderr: string
  constructor (args: readonly string[], stderr: string, cause?: unknown) {
    super('SLUICE_ERR_REGISTRY_GIT_FAILED', `git ${args.join(' ')} failed: ${stderr.trim() === '' ? String((cause as Error | undefined)?.message ?? 'unknown error') : stderr.trim()}`,
      { statusCode: 503, retriable: true, cause })
    this.args = args
    this.stderr = stderr
  }
}

/** The git-backed repository was used before `start()` succeeded. */
export class RepositoryNotReadyError extends SluiceError {
  constructor (description: string) {
    super('SLUICE_ERR_REGISTRY_NOT_READY', `Schema repository ${description} has not loaded yet`, { statusCode: 503, retriable: true })
  }
}

/** Materializing would overwrite a version that is already published (committed). */
export class VersionPublishedError extends SluiceError {
  readonly file: string
  constructor (file: string) {
    super('SLUICE_ERR_REGISTRY_VERSION_PUBLISHED',
      `${file} is already published and differs from what current.yaml materializes to; bump the version in $id instead of changing a published version`,
      { statusCode: 409 })
    this.file = file
  }
}

/** The git-backed repository could not load its ref (at start, this stops the service). */
export class RepositoryLoadError extends SluiceError {
  constructor (description: string, cause: unknown) {
    super('SLUICE_ERR_REGISTRY_LOAD_FAILED',
      `Cannot load schema repository ${description}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { statusCode: 503, retriable: true, cause })
  }
}
