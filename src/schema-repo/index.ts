/**
 * Schema lookup and validation for the gateway: where `$schema` URIs are read
 * from, how they are compiled and cached, and the errors that come out.
 */
export type { SchemaSource, BaseUriSourceOptions } from './source.js'
export { createSourcesFromBaseUris } from './source.js'
export type { FileSchemaSourceOptions } from './file-source.js'
export { createFileSchemaSource } from './file-source.js'
export type { HttpSchemaSourceOptions } from './http-source.js'
export { createHttpSchemaSource } from './http-source.js'
export type { ResolvedSchema, SchemaResolver, SchemaResolverOptions } from './validator-cache.js'
export { createSchemaResolver, defaultMaxSchemaDepth } from './validator-cache.js'
export { formatErrorsText } from './errors-text.js'
export type { InsecureSchemaProblem } from './secure.js'
export { findInsecureSchemaProblems } from './secure.js'
export type { Draft } from './ajv.js'
export { draftOf } from './ajv.js'
export { candidatePaths, hasFileExtension, isAbsoluteSchemaUri, isVersionedPath, normalizeSchemaPath } from './uri.js'
export type { SchemaErrorDetails } from './errors.js'
export {
  SchemaLoadError, SchemaNotFoundError, SchemaUriRefusedError, SchemaInsecureError, SchemaInvalidError, SchemaTooLargeError,
  SchemaFetchError
} from './errors.js'
