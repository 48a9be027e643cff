import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import yaml from 'js-yaml'
import type { Dispatcher } from 'undici'
import { describeConfigError } from '../config/load.js'
import type { Logger } from '../logger.js'
import { StreamConfigInvalidError, StreamConfigUnavailableError } from './errors.js'
import { fetchStreamConfig } from './fetch.js'
import { normalizeSettings, streamConfigSchema } from './schema.js'
import { messageOf } from '../errors.js'

/** Stream name or `/regex/` → settings as declared; incomplete entries are kept (see `settingsProblem`). */
export type StreamConfigData = Record<string, unknown>

export interface StreamConfigSourceOptions {
  /** A YAML file, a directory of YAML files, or an http(s) URL. */
  uri: string
  cwd: string
  dispatcher: Dispatcher
  /** Bound of one HTTP request (headers and body each). */
  timeoutMs: number
  /** Headers of every HTTP request (EventGate's `stream_config_uri_options.headers`), e.g. `Host` for an internal API endpoint. */
  headers?: Readonly<Record<string, string>> | undefined
  /** Dotted path of the settings in the HTTP answer (EventGate's `stream_config_object_path`); default: `streams` when the answer has it. */
  objectPath?: string | undefined
  /** HTTP fetches tried again after a failure, at most this many times. Default 0. */
  retries?: number | undefined
  /** Wait before the first retry, doubled for each next one (with jitter). Default 500. */
  retryDelayMs?: number | undefined
  /** Retries are logged here at warn. */
  logger?: Logger | undefined
}

/**
 * Reads the stream config. A directory is the union of its `*.yaml`/`*.yml`/`*.json` files
 * (a stream declared twice is an error, so ownership stays obvious). A URL may answer the
 * mapping itself or EventStreamConfig's `{streams: {...}}` envelope.
 */
export async function readStreamConfig (options: StreamConfigSourceOptions): Promise<StreamConfigData> {
  const { uri } = options
  if (/^https?:\/\//i.test(uri)) return validateStreamConfig(await fetchStreamConfig(options), uri)
  const path = resolve(options.cwd, uri.startsWith('file://') ? fileURLToPath(uri) : uri)
  let info
  try {
    info = await stat(path)
  } catch (err) {
    throw new StreamConfigUnavailableError(path, err)
  }
  if (!info.isDirectory()) return validateStreamConfig(await readYamlFile(path), path)
  const files = (await readdir(path)).filter((name) => /\.(ya?ml|json)$/i.test(name)).sort()
  const merged: Record<string, unknown> = {}
  const owner = new Map<string, string>()
  for (const file of files) {
    const data = validateStreamConfig(await readYamlFile(join(path, file)), join(path, file))
    for (const [stream, settings] of Object.entries(data)) {
      const previous = owner.get(stream)
      if (previous !== undefined) {
        throw new StreamConfigInvalidError(path, [`stream '${stream}' is declared in both ${previous} and ${file}`])
      }
      owner.set(stream, file)
      merged[stream] = settings
    }
  }
  return merged as StreamConfigData
}

async function readYamlFile (path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new StreamConfigUnavailableError(path, err)
  }
  try {
    return yaml.load(text) ?? {}
  } catch (err) {
    throw new StreamConfigInvalidError(path, [`not valid YAML: ${messageOf(err)}`], err)
  }
}

/**
 * Checks a whole stream config and returns it with PHP's empty arrays read as empty maps
 * (`normalizeSettings`); the caller's object is not changed.
 */
export function validateStreamConfig (raw: unknown, source: string): StreamConfigData {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StreamConfigInvalidError(source, ['the top level must map stream names to settings'])
  }
  const data: Record<string, unknown> = {}
  for (const [name, settings] of Object.entries(raw)) {
    // defineProperty: a stream named __proto__ stays a key.
    Object.defineProperty(data, name, { value: normalizeSettings(settings), enumerable: true, writable: true, configurable: true })
  }
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
  const validate = ajv.compile(streamConfigSchema)
  if (!validate(data)) {
    throw new StreamConfigInvalidError(source, (validate.errors ?? []).map(describeConfigError))
  }
  const problems: string[] = []
  for (const name of Object.keys(data)) {
    if (isRegexKey(name)) {
      const problem = checkStreamRegex(name.slice(1, -1))
      if (problem !== undefined) problems.push(`${name}: ${problem}`)
    }
  }
  if (problems.length > 0) throw new StreamConfigInvalidError(source, problems)
  return data as StreamConfigData
}

export function isRegexKey (name: string): boolean {
  return name.length > 2 && name.startsWith('/') && name.endsWith('/')
}

/**
 * Stream names come from clients, so a stream regex must not backtrack
 * catastrophically: refuse nested quantifiers such as `(a+)+` and back-references.
 */
export function checkStreamRegex (source: string): string | undefined {
  try {
    new RegExp(source)
  } catch (err) {
    return `not a valid regular expression: ${messageOf(err)}`
  }
  if (source.length > 256) return 'regular expression longer than 256 characters'
  if (/\\[1-9]/.test(source)) return 'back-references are not allowed in stream regexes'
  if (/\([^)]*[+*}][^)]*\)\s*[+*{]/.test(source)) return 'nested quantifiers (like (a+)+) are not allowed in stream regexes'
  return undefined
}
