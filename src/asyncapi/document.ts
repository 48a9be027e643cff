import type { StreamConfigData } from '../stream-config/index.js'
import { isRegexKey } from '../stream-config/index.js'

/**
 * The AsyncAPI 3.0 document of the whole platform, built from the stream config and the schema
 * repository: one channel per stream (its topics in every datacenter as the channel's address,
 * its schema's versions as its messages, their examples as the messages' examples) and one
 * `send` operation per channel (the platform writes every stream's topics). Pure: what to put in
 * comes in, the document goes out.
 */

export interface SchemaVersion {
  version: string
  /** The materialized schema, as the repository serves it. */
  schema: Readonly<Record<string, unknown>>
}

export interface AsyncApiInputs {
  /** Stream name (or `/regex/`) → settings, as declared. */
  streams: StreamConfigData
  /** Settings every stream has unless it sets its own (the stream service's `stream_config_defaults`). */
  defaults: Readonly<Record<string, unknown>>
  /** A stream's topics from its settings (the defaults merged in), as the stream service reads them. */
  topicsOf: (name: string, settings: Record<string, unknown>) => string[]
  /** Schema title → its published versions, ascending. A title not there has no messages. */
  schemas: ReadonlyMap<string, readonly SchemaVersion[]>
  /** Served names of a stream besides its own (the stream service's `stream_aliases`). */
  aliases?: Readonly<Record<string, readonly string[]>>
  info: { title: string, version: string, description: string }
  /** AsyncAPI server objects by name (the Kafka clusters), as configured. */
  servers?: Readonly<Record<string, unknown>>
}

export type AsyncApiDocument = Record<string, unknown>

const asyncApiVersion = '3.0.0'

export function buildAsyncApiDocument (inputs: AsyncApiInputs): AsyncApiDocument {
  const components = componentsOf(inputs.schemas)
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const keys = new Set<string>()
  for (const [name, raw] of Object.entries(inputs.streams)) {
    const key = uniqueKey(channelKey(name), keys)
    const settings = { ...inputs.defaults, ...(isObject(raw) ? raw : {}) }
    const title = typeof settings.schema_title === 'string' ? settings.schema_title : undefined
    const messageKeys = title === undefined ? [] : (inputs.schemas.get(title) ?? []).map((v) => messageKey(title, v.version))
    const topics = isRegexKey(name) ? [] : inputs.topicsOf(name, settings)
    channels[key] = channelOf(name, settings, topics, title, messageKeys, inputs.aliases?.[name])
    if (messageKeys.length > 0) {
      operations[`send-${key}`] = {
        action: 'send',
        title: `Events of ${name}`,
        summary: `The gateway produces the accepted events of ${name} to its topics.`,
        channel: { $ref: `#/channels/${pointerSegment(key)}` },
        messages: messageKeys.map((m) => ({ $ref: `#/channels/${pointerSegment(key)}/messages/${pointerSegment(m)}` }))
      }
    }
  }
  const document: AsyncApiDocument = {
    asyncapi: asyncApiVersion,
    info: inputs.info,
    defaultContentType: 'application/json'
  }
  if (inputs.servers !== undefined && Object.keys(inputs.servers).length > 0) document.servers = inputs.servers
  document.channels = channels
  document.operations = operations
  document.components = components
  return document
}

function channelOf (name: string, settings: Record<string, unknown>, topics: readonly string[], title: string | undefined, messageKeys: readonly string[], aliases: readonly string[] | undefined): Record<string, unknown> {
  const channel: Record<string, unknown> = {
    title: name,
    description: typeof settings.description === 'string' && settings.description !== '' ? settings.description : `${name} events${title === undefined ? '' : ` (schema ${title})`}.`
  }
  if (isRegexKey(name)) {
    // A pattern of stream names: every matching stream is a channel of its own, known only when used.
    channel.address = null
    channel['x-sluice-stream-pattern'] = name.slice(1, -1)
  } else {
    Object.assign(channel, addressOf(name, topics))
    channel['x-sluice-topics'] = [...topics]
  }
  channel['x-sluice-stream'] = name
  if (title !== undefined) channel['x-sluice-schema-title'] = title
  if (aliases !== undefined && aliases.length > 0) channel['x-sluice-aliases'] = [...aliases]
  if (messageKeys.length > 0) channel.messages = Object.fromEntries(messageKeys.map((m) => [m, { $ref: `#/components/messages/${pointerSegment(m)}` }]))
  return channel
}

/**
 * One topic: the address is the topic. One topic per datacenter prefix: the address has the
 * prefix as a parameter, so the datacenters show as its values. Any other list of topics: the
 * address is the topic itself, a parameter whose values are the topics.
 */
function addressOf (name: string, topics: readonly string[]): Record<string, unknown> {
  if (topics.length === 1) return { address: topics[0] }
  const prefixes = topics.map((t) => t.endsWith(name) ? t.slice(0, t.length - name.length) : undefined)
  if (prefixes.every((p): p is string => p !== undefined)) {
    return {
      address: `{topic_prefix}${name}`,
      parameters: { topic_prefix: { description: 'The datacenter prefix of the topic: the stream is the union of these topics.', enum: prefixes } }
    }
  }
  return { address: '{topic}', parameters: { topic: { description: 'The topics that make up the stream.', enum: topics } } }
}

function componentsOf (schemas: ReadonlyMap<string, readonly SchemaVersion[]>): Record<string, unknown> {
  const componentSchemas: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  for (const [title, versions] of [...schemas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const { version, schema } of versions) {
      const key = messageKey(title, version)
      const { examples, $id, ...payload }: Record<string, unknown> = schema
      delete payload.$schema
      componentSchemas[key] = rebaseLocalRefs(withoutNestedIds(payload), `#/components/schemas/${pointerSegment(key)}`)
      const message: Record<string, unknown> = {
        name: key,
        title: `${title} ${version}`,
        summary: typeof schema.description === 'string' ? schema.description.trim() : `${title} ${version}`,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${pointerSegment(key)}` },
        'x-sluice-schema-uri': typeof $id === 'string' ? $id : `/${title}/${version}`
      }
      if (Array.isArray(examples) && examples.length > 0) {
        message.examples = examples.filter(isObject).map((payload, i) => ({ name: `example-${i + 1}`, payload }))
      }
      messages[key] = message
    }
  }
  return { schemas: componentSchemas, messages }
}

/** Nested `$id`/`$schema` (inlined fragments) would give resolvers a base URI the document does not have. */
function withoutNestedIds (value: unknown): Record<string, unknown> {
  return strip(value) as Record<string, unknown>
  function strip (node: unknown): unknown {
    if (Array.isArray(node)) return node.map(strip)
    if (!isObject(node)) return node
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) {
      if (key === '$id' || key === '$schema') continue
      // Examples are data, not schemas: copied as they are.
      out[key] = key === 'examples' || key === 'default' || key === 'const' || key === 'enum' ? child : strip(child)
    }
    return out
  }
}

/** A schema's own `#/...` pointers, once it sits in the document's components, point into it there. */
function rebaseLocalRefs (schema: Record<string, unknown>, base: string): Record<string, unknown> {
  return rebase(schema) as Record<string, unknown>
  function rebase (node: unknown): unknown {
    if (Array.isArray(node)) return node.map(rebase)
    if (!isObject(node)) return node
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith('#')) out[key] = child === '#' ? base : `${base}${child.slice(1)}`
      else out[key] = key === 'examples' || key === 'default' || key === 'const' || key === 'enum' ? child : rebase(child)
    }
    return out
  }
}

/** A component's key (AsyncAPI: `^[a-zA-Z0-9.\-_]+$`): the title's `/` become `_`, then the version. */
export function messageKey (title: string, version: string): string {
  return `${title.replace(/[^A-Za-z0-9.\-_]+/g, '_')}-${version}`
}

/**
 * A channel's key (`^[\w\d.\-_]+$`): the stream name; for a `/regex/`, `pattern-` and the pattern
 * without its syntax (`/^mediawiki\.job\..+/` → `pattern-mediawiki.job._`).
 */
export function channelKey (name: string): string {
  const text = isRegexKey(name) ? name.slice(1, -1).replace(/^\^|\$$/g, '').replace(/\\(.)/g, '$1').replace(/\.[+*]/g, '_') : name
  const key = text.replace(/[^A-Za-z0-9.\-_]+/g, '_')
  return isRegexKey(name) ? `pattern-${key}` : key
}

function uniqueKey (key: string, taken: Set<string>): string {
  let candidate = key
  for (let n = 2; taken.has(candidate); n++) candidate = `${key}_${n}`
  taken.add(candidate)
  return candidate
}

function pointerSegment (key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
