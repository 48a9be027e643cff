import { posix } from 'node:path'
import { Ajv } from 'ajv'
import { describeConfigError } from '../../config/load.js'
import { isRecord } from '../document/json-value.js'
import { parseYamlText } from '../document/serialize.js'
import { RepositoryConfigInvalidError } from '../errors.js'
import { createDirectoryFiles } from './directory-files.js'
import { isRuleName } from './rules.js'
import type { RuleName } from './rules.js'
import type { SchemaFiles } from './schema-files.js'
import type { SchemaFormat } from './schema-path.js'
import { messageOf } from '../../errors.js'

export const sluiceConfigFile = '.sluice-schemas.yaml'
export const jsonschemaToolsConfigFile = '.jsonschema-tools.yaml'

/** How a repository wants its materialized files. */
export interface MaterializeConventions {
  /**
   * Remove `$id` and `$schema` from nested subschemas. Inlined fragments keep
   * theirs otherwise, and two copies of one `$id` make Ajv 8 refuse the schema.
   */
  stripNestedIds: boolean
  /** `[minimum, maximum]` given to every integer/number that lacks one; undefined to leave numbers alone. */
  numericBounds: readonly [number, number] | undefined
}

export const safeIntegerBounds: readonly [number, number] = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]

export const sluiceConventions: MaterializeConventions = { stripNestedIds: true, numericBounds: safeIntegerBounds }

export interface RuleException {
  /** Matched against a schema's `$id` (unanchored, as jsonschema-tools does). */
  schemas: RegExp
  rules: readonly RuleName[]
  reason: string
}

export interface RepositoryConfig {
  /** The config file it came from, relative to the repository directory; undefined for defaults. */
  file: string | undefined
  /** Where the schema tree starts, relative to the repository directory. */
  schemaBasePath: string
  /** Files written per version; the first one is what `X.Y.Z` and `latest` point to. */
  contentTypes: readonly SchemaFormat[]
  conventions: MaterializeConventions
  /**
   * The repository's tool generated an example when current.yaml had none
   * (jsonschema-tools' shouldGenerateExample). Such examples come from a seeded
   * faker run and cannot be reproduced, so they are left out of the comparison.
   */
  generatedExamples: boolean
  ignoreSchemas: readonly RegExp[]
  exceptions: readonly RuleException[]
}

export const defaultRepositoryConfig: RepositoryConfig = {
  file: undefined,
  schemaBasePath: '.',
  contentTypes: ['yaml', 'json'],
  conventions: sluiceConventions,
  generatedExamples: false,
  ignoreSchemas: [],
  exceptions: []
}

const sluiceConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    schemaBasePath: { type: 'string', minLength: 1 },
    contentTypes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['yaml', 'json'] } },
    stripNestedIds: { type: 'boolean' },
    numericBounds: {
      anyOf: [
        { const: false },
        { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } }
      ]
    },
    ignoreSchemas: { type: 'array', items: { type: 'string', minLength: 1 } },
    exceptions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['schemas', 'rules', 'reason'],
        properties: {
          schemas: { type: 'string', minLength: 1 },
          rules: { type: 'array', minItems: 1, items: { type: 'string' } },
          reason: { type: 'string', minLength: 1 }
        }
      }
    }
  }
} as const

interface SluiceConfigFile {
  schemaBasePath?: string
  contentTypes?: SchemaFormat[]
  stripNestedIds?: boolean
  numericBounds?: false | [number, number]
  ignoreSchemas?: string[]
  exceptions?: Array<{ schemas: string, rules: string[], reason: string }>
}

/**
 * The config of the schema repository in `dir`: `.sluice-schemas.yaml` when it
 * exists, else a Wikimedia `.jsonschema-tools.yaml` (so existing repositories
 * are checked as they are), else the defaults.
 */
export async function loadRepositoryConfig (dir: string): Promise<RepositoryConfig> {
  return await readRepositoryConfig(createDirectoryFiles(dir)) ?? defaultRepositoryConfig
}

/** The config file at the top of a repository's files, undefined when it has none. */
async function readRepositoryConfig (root: SchemaFiles, prefix = ''): Promise<RepositoryConfig | undefined> {
  const own = await root.readText(prefix + sluiceConfigFile)
  if (own !== undefined) return parseSluiceConfig(own, prefix + sluiceConfigFile)
  const wikimedia = await root.readText(prefix + jsonschemaToolsConfigFile)
  if (wikimedia !== undefined) return parseJsonschemaToolsConfig(wikimedia, prefix + jsonschemaToolsConfigFile)
  return undefined
}

/**
 * Where the schema tree starts in a repository, given all of its files: the
 * config's schemaBasePath; without a config, `schemas/` when there is one
 * (below its own `.sluice-schemas.yaml` base path, if it has one), else the top.
 */
export async function findSchemaTree (root: SchemaFiles): Promise<string> {
  const config = await readRepositoryConfig(root)
  if (config !== undefined) return config.schemaBasePath
  if (!(await root.list()).some((path) => path.startsWith('schemas/'))) return '.'
  const nested = await root.readText(`schemas/${sluiceConfigFile}`)
  return nested === undefined ? 'schemas' : posix.join('schemas', parseSluiceConfig(nested, `schemas/${sluiceConfigFile}`).schemaBasePath)
}

function loadYaml (text: string, file: string): Record<string, unknown> {
  const parsed = parseYamlText(text)
  if (!parsed.ok) throw new RepositoryConfigInvalidError(file, [`not valid YAML: ${parsed.reason}`])
  const data = parsed.value ?? {}
  if (!isRecord(data)) throw new RepositoryConfigInvalidError(file, ['the top level must be a mapping'])
  return data
}

export function parseSluiceConfig (text: string, file: string): RepositoryConfig {
  const raw = loadYaml(text, file)
  const validate = new Ajv({ allErrors: true, strict: true }).compile(sluiceConfigSchema)
  if (!validate(raw)) throw new RepositoryConfigInvalidError(file, (validate.errors ?? []).map(describeConfigError))
  const data = raw as SluiceConfigFile
  const problems: string[] = []
  const ignoreSchemas = (data.ignoreSchemas ?? []).map((source) => compileRegex(source, 'ignoreSchemas', problems))
  const exceptions = (data.exceptions ?? []).map((entry, i): RuleException => ({
    schemas: compileRegex(entry.schemas, `exceptions.${i}.schemas`, problems),
    rules: checkRuleNames(entry.rules, `exceptions.${i}.rules`, problems),
    reason: entry.reason
  }))
  if (problems.length > 0) throw new RepositoryConfigInvalidError(file, problems)
  const bounds = data.numericBounds
  return {
    file,
    schemaBasePath: data.schemaBasePath ?? '.',
    contentTypes: data.contentTypes ?? defaultRepositoryConfig.contentTypes,
    conventions: {
      stripNestedIds: data.stripNestedIds ?? true,
      numericBounds: bounds === false ? undefined : bounds === undefined ? safeIntegerBounds : [bounds[0], bounds[1]]
    },
    generatedExamples: false,
    ignoreSchemas,
    exceptions
  }
}

/**
 * Reads the settings of Wikimedia's jsonschema-tools that change what a
 * repository contains or which checks apply. Nested `$id`s are kept, as that
 * tool keeps them, so re-materializing reproduces the published files.
 */
export function parseJsonschemaToolsConfig (text: string, file: string): RepositoryConfig {
  const data = loadYaml(text, file)
  const problems: string[] = []
  const basePath = typeof data.schemaBasePath === 'string' ? data.schemaBasePath : './jsonschema/'
  const contentTypes = Array.isArray(data.contentTypes)
    ? data.contentTypes.filter((t): t is SchemaFormat => t === 'yaml' || t === 'json')
    : ['yaml', 'json'] as SchemaFormat[]
  if (contentTypes.length === 0) problems.push('contentTypes: needs yaml or json')
  const exceptions: RuleException[] = []
  const skips = data.skipSchemaTestCases
  if (isRecord(skips)) {
    for (const [pattern, names] of Object.entries(skips)) {
      const list = Array.isArray(names) ? names.map(String) : []
      exceptions.push({
        schemas: compileRegex(pattern, `skipSchemaTestCases.${pattern}`, problems),
        rules: checkRuleNames(list, `skipSchemaTestCases.${pattern}`, problems),
        reason: `skipSchemaTestCases in ${file}`
      })
    }
  }
  const ignoreSchemas = Array.isArray(data.ignoreSchemas)
    ? data.ignoreSchemas.map((source) => compileRegex(String(source), 'ignoreSchemas', problems))
    : []
  let numericBounds: readonly [number, number] | undefined = safeIntegerBounds
  if (data.enforceNumericBounds === false) numericBounds = undefined
  else if (Array.isArray(data.enforcedNumericBounds) && data.enforcedNumericBounds.length === 2) {
    numericBounds = [Number(data.enforcedNumericBounds[0]), Number(data.enforcedNumericBounds[1])]
  }
  if (problems.length > 0) throw new RepositoryConfigInvalidError(file, problems)
  return {
    file,
    schemaBasePath: basePath,
    contentTypes,
    conventions: { stripNestedIds: false, numericBounds },
    generatedExamples: data.shouldGenerateExample === true,
    ignoreSchemas,
    exceptions
  }
}

function compileRegex (source: string, where: string, problems: string[]): RegExp {
  try {
    return new RegExp(source)
  } catch (err) {
    problems.push(`${where}: not a valid regular expression: ${messageOf(err)}`)
    return /$^/
  }
}

function checkRuleNames (names: readonly string[], where: string, problems: string[]): RuleName[] {
  const known: RuleName[] = []
  for (const name of names) {
    if (isRuleName(name)) known.push(name)
    else problems.push(`${where}: unknown rule '${name}'`)
  }
  return known
}

/** Whether an exception switches `rule` off for the schema with this `$id`. */
export function isExempt (config: RepositoryConfig, schemaId: string, rule: RuleName): boolean {
  return config.exceptions.some((e) => e.rules.includes(rule) && e.schemas.test(schemaId))
}

export function isIgnored (config: RepositoryConfig, schemaId: string): boolean {
  return config.ignoreSchemas.some((pattern) => pattern.test(schemaId))
}
