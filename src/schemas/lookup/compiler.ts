import { isDeepStrictEqual } from 'node:util'
import type { AnySchemaObject, ValidateFunction } from 'ajv'
import { deepFreeze } from '../../config/load.js'
import type { Logger } from '../../logger.js'
import { messageOf } from '../../errors.js'
import { createAjvSet, idKeyword, prepareSchema } from '../document/ajv.js'
import type { AjvCore, Draft } from '../document/ajv.js'
import type { SchemaNode } from '../document/walk.js'
import { SchemaInvalidError, SchemaLoadError } from './errors.js'
import { isVersionedPath } from './uri.js'

/** A compiled schema document. */
export interface Compiled {
  id: string | undefined
  title: string | undefined
  /** What Ajv compiled; compared when another document claims the same `$id`. */
  prepared: SchemaNode
  original: Readonly<Record<string, unknown>>
  validate: ValidateFunction
}

export interface SchemaCompiler {
  /** Compiles `document` (reached by `uri`), or gives the validator of an identical one with the same `$id`. */
  compile: (uri: string, document: SchemaNode, draft: Draft) => Promise<Compiled>
}

export interface SchemaCompilerOptions {
  /** Loads a document another schema `$ref`s, as a document of `draft`. */
  loadReferenced: (uri: string) => Promise<{ document: SchemaNode, draft: Draft }>
  logger: Logger
  /** Keywords that only annotate, accepted despite Ajv's strict mode. */
  annotationKeywords?: readonly string[]
}

/**
 * One Ajv per draft, and a validator per `$id`: two URIs that reach the same document share
 * one; a different document claiming a versioned `$id` already compiled is refused.
 */
export function createSchemaCompiler (options: SchemaCompilerOptions): SchemaCompiler {
  const { logger } = options
  const compiledById = new Map<string, Promise<Compiled>>()

  const loadSchema = async (draft: Draft, uri: string): Promise<AnySchemaObject> => {
    const loaded = await options.loadReferenced(uri)
    if (loaded.draft !== draft) {
      throw new SchemaInvalidError(uri, `the schema is written for ${loaded.draft} but is referenced from a ${draft} schema`)
    }
    logger.debug({ uri }, 'loaded referenced schema')
    return prepareSchema(loaded.document, draft)
  }
  const ajvFor = createAjvSet({ loadSchema, logger, annotationKeywords: options.annotationKeywords })

  const compileFresh = async (uri: string, document: SchemaNode, prepared: SchemaNode, draft: Draft, id: string | undefined): Promise<Compiled> => {
    const ajv = ajvFor(draft)
    const key = id === undefined ? undefined : ajvKey(id)
    if (id !== undefined && key !== undefined) {
      // Registered earlier as another schema's `$ref`, or left from a document this replaces.
      const registered = registeredSchema(ajv, key)
      if (registered !== undefined) {
        if (isDeepStrictEqual(registered.schema, prepared)) return describe(document, prepared, id, registered)
        if (isVersionedPath(key)) throw duplicateId(uri, id, draft)
      }
      ajv.removeSchema(key)
    }
    try {
      return describe(document, prepared, id, await ajv.compileAsync(prepared))
    } catch (err) {
      // Ajv registers the `$id` before compiling; a retry must not find it taken.
      if (key !== undefined) ajv.removeSchema(key)
      if (err instanceof SchemaLoadError) throw err.inSchema(uri)
      throw new SchemaInvalidError(uri, `the schema does not compile: ${messageOf(err)}`, { cause: err })
    }
  }

  const compile = async (uri: string, document: SchemaNode, draft: Draft): Promise<Compiled> => {
    const prepared = prepareSchema(document, draft)
    const rawId = document[idKeyword(draft)]
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined
    if (id === undefined) return compileFresh(uri, document, prepared, draft, id)
    const key = `${draft} ${ajvKey(id)}`
    const previous = compiledById.get(key)
    if (previous !== undefined) {
      const earlier = await previous.catch(() => undefined)
      if (earlier !== undefined) {
        if (isDeepStrictEqual(earlier.prepared, prepared)) return earlier
        if (isVersionedPath(ajvKey(id))) throw duplicateId(uri, id, draft)
        // An unversioned `$id` whose document changed (e.g. after clear()): the new one replaces it.
      }
    }
    const promise = compileFresh(uri, document, prepared, draft, id)
    compiledById.set(key, promise)
    promise.catch(() => {
      if (compiledById.get(key) === promise) compiledById.delete(key)
    })
    return promise
  }

  return { compile }
}

/** Ajv's key for an `$id`: without a trailing `#` or `#/`. */
export function ajvKey (id: string): string {
  return id.replace(/#\/?$/, '')
}

function describe (document: SchemaNode, prepared: SchemaNode, id: string | undefined, validate: ValidateFunction): Compiled {
  return {
    id,
    title: typeof document.title === 'string' ? document.title : undefined,
    prepared,
    original: deepFreeze(document),
    validate
  }
}

function duplicateId (uri: string, id: string, draft: Draft): SchemaInvalidError {
  return new SchemaInvalidError(uri, `its $id ${id} is already used by a different schema`, { pointer: `/${idKeyword(draft)}` })
}

function registeredSchema (ajv: AjvCore, key: string): ValidateFunction | undefined {
  try {
    return ajv.getSchema(key)
  } catch {
    // Registered but not compilable on its own (refs not loaded yet): treat as absent.
    return undefined
  }
}
