import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { SchemaMetrics } from '../metrics/schemas.js'
import { loadRepositoryConfig, openDirectoryRepository, schemaRoutes } from '../schemas/index.js'
import type { GitSchemaRepository, SchemaRepository } from '../schemas/index.js'
import type { ServiceContext } from '../service/index.js'
import type { GatewayConfig } from './config.js'
import type { GatewayStreamConfig } from './stream-config.js'

/**
 * GET /schemas/… (the schema registry API): the gateway serves the repository it validates
 * against, when it is local (the git repository, else the first local base); none otherwise.
 */
export async function schemaRegistryRoutes (
  config: Readonly<GatewayConfig>,
  context: ServiceContext,
  git: GitSchemaRepository | undefined,
  parts: { streams: GatewayStreamConfig, metrics: SchemaMetrics }
): Promise<FastifyPluginAsync | undefined> {
  const servedDirectory = git === undefined ? firstLocalDirectory(config.schema_base_uris, context.cwd) : undefined
  const servedRepository: SchemaRepository | undefined = git ?? (servedDirectory === undefined ? undefined : openDirectoryRepository(servedDirectory))
  const repositoryConfig = servedDirectory === undefined ? undefined : await loadRepositoryConfig(servedDirectory)
  if (servedRepository === undefined) return undefined
  return schemaRoutes(servedRepository, { logger: context.logger, streams: () => parts.streams.index()?.all(), metrics: parts.metrics, config: repositoryConfig })
}

function firstLocalDirectory (baseUris: readonly string[], cwd: string): string | undefined {
  for (const base of baseUris) {
    if (/^https?:\/\//i.test(base)) continue
    return base.startsWith('file://') ? fileURLToPath(base) : resolve(cwd, base)
  }
  return undefined
}
