import type { Logger } from '../logger.js'
import type { SchemaRepository } from '../schemas/index.js'
import type { StreamConfigData } from '../stream-config/index.js'
import { messageOf } from '../errors.js'
import type { AsyncApiDocument, AsyncApiInputs, SchemaVersion } from './document.js'
import { buildAsyncApiDocument } from './document.js'

export type { AsyncApiDocument, AsyncApiInputs, SchemaVersion } from './document.js'
export { buildAsyncApiDocument, channelKey, messageKey } from './document.js'

export interface GenerateOptions extends Omit<AsyncApiInputs, 'schemas'> {
  /** Where the streams' schemas are; without one, channels have no messages. */
  repository: SchemaRepository | undefined
  logger?: Logger
}

/**
 * The platform's AsyncAPI document: the stream config as it is now and every published version
 * of the schemas its streams name, read from the repository now (so a regenerated document has
 * the versions published since). A schema the repository cannot give leaves its streams without
 * messages, and is logged.
 */
export async function generateAsyncApi (options: GenerateOptions): Promise<AsyncApiDocument> {
  const { repository, logger, ...inputs } = options
  return buildAsyncApiDocument({ ...inputs, schemas: repository === undefined ? new Map() : await readSchemas(repository, titlesOf(inputs.streams, inputs.defaults), logger) })
}

function titlesOf (streams: StreamConfigData, defaults: Readonly<Record<string, unknown>>): string[] {
  const titles = new Set<string>()
  for (const settings of Object.values(streams)) {
    const title = (settings !== null && typeof settings === 'object' ? settings as Record<string, unknown> : defaults).schema_title ?? defaults.schema_title
    if (typeof title === 'string' && title !== '') titles.add(title)
  }
  return [...titles].sort()
}

async function readSchemas (repository: SchemaRepository, titles: readonly string[], logger: Logger | undefined): Promise<Map<string, SchemaVersion[]>> {
  const schemas = new Map<string, SchemaVersion[]>()
  await Promise.all(titles.map(async (title) => {
    try {
      const versions: SchemaVersion[] = []
      for (const version of await repository.listVersions(title)) {
        const schema = await repository.readVersion(title, version)
        if (schema !== undefined) versions.push({ version, schema })
      }
      if (versions.length > 0) schemas.set(title, versions)
      else logger?.warn({ title }, `AsyncAPI: the schema repository has no version of ${title}; its streams have no messages`)
    } catch (err) {
      logger?.warn({ title, err: { message: messageOf(err) } }, `AsyncAPI: could not read the versions of ${title}; its streams have no messages`)
    }
  }))
  return schemas
}
