import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import type { AnySchema, ErrorObject } from 'ajv'
import yaml from 'js-yaml'
import { ConfigInvalidError, messageOf } from '../errors.js'
import type { FromSchema } from './from-schema.js'

/** One environment variable that overrides one config key. */
export interface EnvOverride {
  variable: string
  /** JSON pointer of the key it sets, e.g. `/kafka/brokers`. */
  pointer: string
  parse: 'string' | 'port' | 'list'
}

// The `kafka` keys every service shares are src/kafka/options.ts's; these names stay for the
// config modules that still import them from here.
export { kafkaBrokersSchema, producerConfigSchema as kafkaProducerSchema } from '../kafka/index.js'

/** `redis` in a service's config: the server its state shared by replicas lives on. */
export const redisProperties = {
  url: { type: 'string', pattern: '^rediss?://' },
  key_prefix: { type: 'string', default: 'sluice' },
  connect_timeout_ms: { type: 'integer', minimum: 1, default: 2000 }
} as const

export const redisSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: redisProperties
} as const

/** The overrides every Sluice service honours. */
export const commonEnvOverrides: readonly EnvOverride[] = [
  { variable: 'PORT', pointer: '/port', parse: 'port' },
  { variable: 'KAFKA_BROKERS', pointer: '/kafka/brokers', parse: 'list' }
]

/** A config file's data, read and parsed once, for a caller that validates it more than once (`sluice up`: once per datacenter). */
export interface ConfigFile {
  readonly path: string
  readonly data: unknown
}

export interface LoadConfigOptions<S> {
  /** Path of the YAML file (or the file already read), or undefined to start from an empty object. */
  file?: string | ConfigFile
  /** Already parsed config data (used instead of `file`). */
  data?: unknown
  schema: S
  env?: NodeJS.ProcessEnv
  envOverrides?: readonly EnvOverride[]
}

/**
 * Reads a YAML config, applies environment overrides, validates it against
 * `schema` (filling in the schema's defaults) and deep-freezes it.
 * Every problem is reported at once, each naming the key.
 */
export async function loadConfig<const S> (options: LoadConfigOptions<S>): Promise<Readonly<FromSchema<S>>> {
  const file = typeof options.file === 'string' ? await readConfigFile(options.file) : options.file
  return validateConfig(file?.data ?? options.data ?? {}, options.schema, file?.path ?? 'configuration', options.env ?? {}, options.envOverrides ?? [])
}

/** Reads and parses a YAML config file; ConfigInvalidError naming the file when it cannot. */
export async function readConfigFile (path: string): Promise<ConfigFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigInvalidError(path, [`cannot read the file: ${messageOf(err)}`])
  }
  try {
    return { path, data: yaml.load(text) ?? {} }
  } catch (err) {
    throw new ConfigInvalidError(path, [`not valid YAML: ${messageOf(err)}`])
  }
}

/**
 * The one place a config's type is attached: `schema` is what Ajv just validated (and filled
 * defaults from), and `FromSchema<S>` is read off the same schema.
 */
export function validateConfig<const S> (
  data: unknown,
  schema: S,
  source: string,
  env: NodeJS.ProcessEnv = {},
  envOverrides: readonly EnvOverride[] = []
): Readonly<FromSchema<S>> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigInvalidError(source, ['the top level must be a mapping of keys to values'])
  }
  const config = structuredClone(data) as Record<string, unknown>
  const problems: string[] = []
  for (const override of envOverrides) {
    const raw = env[override.variable]
    if (raw === undefined || raw === '') continue
    const value = parseEnvValue(raw, override.parse)
    if (value === undefined) {
      problems.push(`${override.variable}: '${raw}' is not a valid ${override.parse}`)
      continue
    }
    setPointer(config, override.pointer, value)
  }
  if (problems.length > 0) throw new ConfigInvalidError(source, problems)

  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true })
  const validate = ajv.compile(schema as AnySchema)
  if (!validate(config)) {
    throw new ConfigInvalidError(source, (validate.errors ?? []).map(describeConfigError))
  }
  return deepFreeze(config) as Readonly<FromSchema<S>>
}

export function describeConfigError (error: ErrorObject): string {
  const at = error.instancePath === '' ? '' : error.instancePath.slice(1).replaceAll('/', '.')
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty
    return `${at === '' ? '' : at + '.'}${key}: unknown key`
  }
  if (error.keyword === 'required') {
    const key = (error.params as { missingProperty: string }).missingProperty
    return `${at === '' ? '' : at + '.'}${key}: is required`
  }
  return `${at === '' ? '(top level)' : at}: ${error.message ?? 'is invalid'}`
}

function parseEnvValue (raw: string, kind: EnvOverride['parse']): unknown {
  switch (kind) {
    case 'string':
      return raw
    case 'port': {
      if (!/^\d{1,5}$/.test(raw)) return undefined
      const port = Number(raw)
      return port <= 65535 ? port : undefined
    }
    case 'list': {
      const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
      return items.length > 0 ? items : undefined
    }
  }
}

function setPointer (target: Record<string, unknown>, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1)
  let node = target
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1] as string] = value
}

export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
