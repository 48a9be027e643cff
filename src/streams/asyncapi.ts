import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { generateAsyncApi } from '../asyncapi/index.js'
import type { AsyncApiDocument } from '../asyncapi/index.js'
import { openDirectoryRepository } from '../schemas/index.js'
import { readServiceInfo } from '../service/index.js'
import type { ServiceContext } from '../service/index.js'
import type { StreamConfigData } from '../stream-config/index.js'
import type { StreamsConfig } from './config.js'

/**
 * What makes the platform's AsyncAPI document from a stream config: the config's defaults and
 * aliases, the configured servers, and the schema repository (without one, the channels have no
 * messages; that is said once, at start).
 */
export async function asyncApiDescriber (config: Readonly<StreamsConfig>, context: ServiceContext, topics: (name: string, settings: Record<string, unknown>) => string[]): Promise<(data: StreamConfigData) => Promise<AsyncApiDocument>> {
  const dir = resolve(context.cwd, config.asyncapi_schema_repository)
  const exists = (await stat(dir).catch(() => undefined))?.isDirectory() === true
  if (!exists) context.logger.warn({ dir }, 'no schema repository at asyncapi_schema_repository: the channels of GET /?asyncapi have no messages')
  const repository = exists ? openDirectoryRepository(dir) : undefined
  const info = readServiceInfo()
  return async (data) => generateAsyncApi({
    streams: data,
    defaults: config.stream_config_defaults,
    topicsOf: topics,
    aliases: config.stream_aliases,
    servers: config.asyncapi_servers,
    repository,
    logger: context.logger,
    info: { title: 'Sluice event platform', version: info.version, description: 'Every stream of the platform: its Kafka topics in each datacenter, the versions of its schema as messages, and their examples. Produce with POST /v1/events on the gateway; consume from Kafka, or as Server-Sent Events with GET /v2/stream/{streams} on the stream service.' }
  })
}
