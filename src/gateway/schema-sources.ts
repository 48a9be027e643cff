import { resolve } from 'node:path'
import type { SchemaMetrics } from '../metrics/schemas.js'
import { createSchemaResolver, createSourcesFromBaseUris, openGitRepository } from '../schemas/index.js'
import type { GitSchemaRepository, SchemaResolver, SchemaSource } from '../schemas/index.js'
import type { ServiceContext, ShutdownStep } from '../service/index.js'
import type { GatewayConfig } from './config.js'

/** The schemas the gateway validates against: the resolver over its sources, and the git repository when one is configured. */
export interface GatewaySchemas {
  resolver: SchemaResolver
  git: GitSchemaRepository | undefined
  /** Re-reads the git repository (true without one) and empties the resolver's cache. */
  reload(): Promise<boolean>
}

/**
 * Opens the schema sources, the git ref first (what was merged), then the configured bases in
 * order, and precaches the configured schemas. The git repository's close joins `closers`.
 */
export async function openSchemaSources (config: Readonly<GatewayConfig>, context: ServiceContext, metrics: SchemaMetrics, closers: ShutdownStep[]): Promise<GatewaySchemas> {
  const { logger, dispatcher } = context
  const sources: SchemaSource[] = []
  // A polled commit changes what `…/latest` means: the resolver's cache follows (set below).
  let onSchemaCommit = (): void => {}
  const git = config.schema_git === undefined ? undefined : await openGitSource(config.schema_git, context, metrics, () => { onSchemaCommit() })
  if (git !== undefined) {
    closers.push({ name: 'git schema repository', close: async () => { await git.close() } })
    sources.push(git)
  }
  sources.push(...createSourcesFromBaseUris(config.schema_base_uris, {
    dispatcher,
    timeoutMs: config.schema_fetch_timeout_ms,
    maxBytes: config.schema_max_bytes,
    userAgent: config.user_agent,
    cwd: context.cwd
  }))
  const resolver = createSchemaResolver({
    sources,
    fileExtension: config.schema_file_extension,
    allowAbsoluteUris: config.allow_absolute_schema_uris,
    failureRetryMs: config.schema_failure_retry_ms,
    maxSchemaBytes: config.schema_max_bytes,
    logger
  })
  onSchemaCommit = () => { resolver.clear() }
  await resolver.precache(config.schema_precache_uris)
  return {
    resolver,
    git,
    async reload () {
      const schemas = git === undefined ? true : await git.reload()
      resolver.clear()
      return schemas
    }
  }
}

/** The git repository's ref, polled; `onCommitChange` runs when a poll finds a new commit. */
async function openGitSource (settings: NonNullable<GatewayConfig['schema_git']>, context: ServiceContext, metrics: SchemaMetrics, onCommitChange: () => void): Promise<GitSchemaRepository> {
  const repository = openGitRepository({
    repository: settings.repository,
    ref: settings.ref,
    path: settings.path,
    pollIntervalMs: settings.poll_interval_ms,
    cacheDir: resolve(context.cwd, settings.cache_dir),
    logger: context.logger,
    metrics,
    onCommitChange
  })
  await repository.start()
  return repository
}
