import { Ajv } from 'ajv'
import type { AnySchemaObject, Options } from 'ajv'
import type * as ajvCore from 'ajv/dist/core.js'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' }
import ajvDraft04 from 'ajv-draft-04'
import ajvFormats from 'ajv-formats'
import type { Logger } from '../../logger.js'
import { stripNestedIds } from './walk.js'
import type { SchemaNode } from './walk.js'

/** The base class of every draft's Ajv. */
export type AjvCore = ajvCore.default

export type Draft = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12'

/** The `$schema` every compiled copy gets, so Ajv never tries to fetch a meta-schema. */
const canonicalMetaSchema: Record<Draft, string> = {
  'draft-04': 'http://json-schema.org/draft-04/schema#',
  'draft-06': 'http://json-schema.org/draft-06/schema#',
  'draft-07': 'http://json-schema.org/draft-07/schema#',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema'
}

/** Keyed by the meta-schema URI without scheme and trailing `#`. */
const draftByMetaSchema: ReadonlyMap<string, Draft> = new Map([
  ['json-schema.org/draft-04/schema', 'draft-04'],
  ['json-schema.org/draft-06/schema', 'draft-06'],
  ['json-schema.org/draft-07/schema', 'draft-07'],
  ['json-schema.org/draft/2019-09/schema', '2019-09'],
  ['json-schema.org/draft/2020-12/schema', '2020-12']
])

/**
 * The draft a schema is written in, from its root `$schema`: draft-07 when it
 * has none (like EventGate and jsonschema-tools), `undefined` when it names a
 * meta-schema we do not bundle. The http and https forms, with or without a
 * trailing `#`, are the same draft: real repositories use both.
 */
export function draftOf (schema: SchemaNode): Draft | undefined {
  const metaSchema = schema.$schema
  if (metaSchema === undefined) return 'draft-07'
  if (typeof metaSchema !== 'string') return undefined
  const match = /^https?:\/\/(.*?)#?$/.exec(metaSchema)
  return match === null ? undefined : draftByMetaSchema.get(match[1] as string)
}

/** The keyword that holds a schema's identifier in a draft. */
export function idKeyword (draft: Draft): '$id' | 'id' {
  return draft === 'draft-04' ? 'id' : '$id'
}

/**
 * The copy of a schema that is handed to Ajv: nested `$id`s and `$schema`s
 * removed (see `stripNestedIds`: `mediawiki/revision/create/2.0.0` inlines
 * `/fragment/mediawiki/revision/slot/1.0.0` twice), and the root `$schema`
 * replaced by the canonical URI of its draft. Removing all nested identifiers,
 * not only the duplicates, gives the same result whatever order the fragments
 * appear in.
 */
export function prepareSchema (schema: SchemaNode, draft: Draft): SchemaNode {
  const copy = structuredClone(schema)
  stripNestedIds(copy, idKeyword(draft))
  copy.$schema = canonicalMetaSchema[draft]
  return copy
}

export interface AjvSetOptions {
  /** Ajv's `loadSchema`, told which draft's instance asks; without it a `$ref` to another document does not compile. */
  loadSchema?: (draft: Draft, uri: string) => Promise<AnySchemaObject>
  /** Where Ajv's strict-mode warnings go; nowhere when absent. */
  logger?: Logger
  /** Keywords that only annotate (like `examples`), accepted in strict mode. */
  annotationKeywords?: readonly string[]
}

/**
 * How every schema is compiled, wherever it is compiled: the gateway
 * validating events and `sluice schemas check` validating examples use these
 * and nothing else, so CI accepts exactly the events production accepts.
 * `strictRequired` is off: `anyOf: [{required: [a]}, {required: [b]}]` is a
 * common, legitimate pattern that strict `required` checking rejects.
 * `useDefaults` inserts schema defaults into events, as EventGate does.
 */
export const validationOptions = Object.freeze({
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: true,
  useDefaults: true
} as const satisfies Options)

/**
 * `ajv-formats` in fast mode, what Ajv 6 and so EventGate used: e.g.
 * `uri-reference` accepts unencoded non-ASCII (which browsers send) and
 * `date-time` checks the shape, not the calendar.
 */
export const formatMode = 'fast'

/** The one Ajv factory: an instance per draft, created on first use, with `validationOptions` and `formatMode`. */
export function createAjvSet (options: AjvSetOptions = {}): (draft: Draft) => AjvCore {
  const instances = new Map<Draft, AjvCore>()
  const logger = options.logger
  const ajvLogger = logger === undefined
    ? false as const
    : {
        log: (...args: unknown[]) => logger.debug({ ajv: args.map(String).join(' ') }, 'ajv'),
        warn: (...args: unknown[]) => logger.warn({ ajv: args.map(String).join(' ') }, 'ajv warning'),
        error: (...args: unknown[]) => logger.error({ ajv: args.map(String).join(' ') }, 'ajv error')
      }
  const loadSchema = options.loadSchema
  const create = (draft: Draft): AjvCore => {
    const ajvOptions: Options = {
      ...validationOptions,
      logger: ajvLogger,
      ...(loadSchema === undefined ? {} : { loadSchema: async (uri: string) => loadSchema(draft, uri) })
    }
    let ajv: AjvCore
    switch (draft) {
      case 'draft-04':
        ajv = new ajvDraft04.default(ajvOptions)
        break
      case 'draft-06':
        ajv = new Ajv(ajvOptions)
        ajv.addMetaSchema(draft06MetaSchema)
        break
      case 'draft-07':
        ajv = new Ajv(ajvOptions)
        break
      case '2019-09':
        ajv = new Ajv2019(ajvOptions)
        break
      case '2020-12':
        ajv = new Ajv2020(ajvOptions)
        break
    }
    ajvFormats.default(ajv, { mode: formatMode })
    for (const keyword of options.annotationKeywords ?? []) ajv.addKeyword({ keyword })
    return ajv
  }
  return (draft) => {
    let ajv = instances.get(draft)
    if (ajv === undefined) {
      ajv = create(draft)
      instances.set(draft, ajv)
    }
    return ajv
  }
}
