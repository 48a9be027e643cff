import type { SchemaRepository } from '../repository/repository.js'
import { parseSchemaId } from '../repository/schema-path.js'
import type { ReferenceLoader } from './dereference.js'

/**
 * Resolves `/title/X.Y.Z` (optionally with `.yaml`/`.json`) to that published
 * version. Refs are pinned to versions, so a fragment change never alters a
 * dependent until the dependent bumps its own `$ref` and `$id`.
 */
export function repositoryReferenceLoader (repository: Pick<SchemaRepository, 'readVersion'>): ReferenceLoader {
  return async (id) => {
    const parsed = parseSchemaId(id.replace(/\.(yaml|json)$/, ''))
    if (parsed === undefined) return undefined
    return repository.readVersion(parsed.title, parsed.version)
  }
}
