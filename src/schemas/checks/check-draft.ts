import { isSluiceError } from '../../errors.js'
import { deepEqual } from '../document/json-value.js'
import { compareVersions, majorOf } from '../document/version.js'
import { DraftInvalidError } from '../errors.js'
import { materializeSchema } from '../publishing/materialize.js'
import { repositoryReferenceLoader } from '../publishing/reference-loader.js'
import { isExempt } from '../repository/config.js'
import type { RepositoryConfig } from '../repository/config.js'
import type { SchemaRepository } from '../repository/repository.js'
import { isTitle, parseSchemaId } from '../repository/schema-path.js'
import { checkCompatibility } from './compatibility.js'
import { checkRobustness } from './robustness.js'
import { firstDifference } from './structure.js'
import { violation } from './violation.js'
import type { Violation, ViolationSubject } from './violation.js'

/** Drafts come from HTTP clients; real schemas nest a dozen levels at most. */
const maxDraftDepth = 64

function depthOf (value: unknown, depth = 0): number {
  if (depth > maxDraftDepth || value === null || typeof value !== 'object') return depth
  let deepest = depth
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1))
  return deepest
}

export interface DraftCheckResult {
  ok: boolean
  title: string
  version: string | undefined
  /** The published version the draft was compared with for compatibility. */
  comparedWith: string | undefined
  violations: Violation[]
  /** What the draft would be published as, when it materializes. */
  materialized: Record<string, unknown> | undefined
}

/**
 * Checks a proposed current.yaml against a repository, as the pull-request
 * check would after materializing it: the same structure, robustness and
 * compatibility violations, before anything is committed.
 */
export async function checkDraft (repository: SchemaRepository, draft: Record<string, unknown>, options: { title?: string, config: RepositoryConfig }): Promise<DraftCheckResult> {
  if (depthOf(draft) > maxDraftDepth) throw new DraftInvalidError(`nested deeper than ${maxDraftDepth} levels`)
  const title = options.title ?? (typeof draft.title === 'string' ? draft.title : parseSchemaId(draft.$id)?.title)
  if (title === undefined || !isTitle(title)) throw new DraftInvalidError('give the schema a title (or send {title, schema}) naming a path like mediawiki/page/delete')
  const file = `${title}/current.yaml`
  const base: ViolationSubject = { schema: typeof draft.$id === 'string' ? draft.$id : file, title, version: 'current', file }
  const found: Violation[] = []
  const result = (version: string | undefined, comparedWith: string | undefined, materialized: Record<string, unknown> | undefined): DraftCheckResult => {
    const violations = found.filter((v) => !isExempt(options.config, v.schema, v.rule))
    return { ok: violations.length === 0, title, version, comparedWith, violations, materialized }
  }
  if (draft.title !== title) {
    found.push(violation(base, 'structure-title-matches-directory', '/title', `title is ${JSON.stringify(draft.title)}, expected ${title}`, `set title: ${title}`))
  }
  const id = parseSchemaId(draft.$id)
  if (id === undefined || id.title !== title) {
    found.push(violation(base, 'structure-id-matches-path', '/$id', `$id is ${JSON.stringify(draft.$id)}, not /${title}/<X.Y.Z>`, `set $id: /${title}/1.0.0 (or the next version)`))
    return result(undefined, undefined, undefined)
  }
  let materialized: Record<string, unknown>
  try {
    materialized = await materializeSchema(draft, { load: repositoryReferenceLoader(repository), conventions: options.config.conventions })
  } catch (err) {
    if (!isSluiceError(err)) throw err
    found.push(violation(base, 'structure-readable', (err as { pointer?: string }).pointer ?? '', err.message,
      'point $ref at a published version (/title/X.Y.Z#)'))
    return result(id.version, undefined, undefined)
  }
  const subject: ViolationSubject = { ...base, schema: draft.$id as string, version: id.version }
  found.push(...checkRobustness(materialized, subject, { numericBounds: options.config.conventions.numericBounds }))

  const published = await repository.listVersions(title)
  const latest = published.at(-1)
  if (published.includes(id.version)) {
    const existing = await repository.readVersion(title, id.version)
    if (existing !== undefined && !deepEqual(existing, materialized)) {
      found.push(violation(subject, 'structure-published-version-unchanged', firstDifference(existing, materialized),
        `${id.version} is already published and the draft differs from it`, `bump $id above ${latest ?? id.version}`))
    }
    return result(id.version, undefined, materialized)
  }
  if (latest !== undefined && compareVersions(id.version, latest) < 0) {
    found.push(violation(subject, 'structure-current-materializes-to-latest', '/$id',
      `the draft is at ${id.version}, behind the latest published version ${latest}`, `set $id to a version above ${latest}`))
  }
  const previous = published.filter((v) => majorOf(v) === majorOf(id.version) && compareVersions(v, id.version) < 0).at(-1)
  if (previous !== undefined) {
    const older = await repository.readVersion(title, previous)
    if (older !== undefined) {
      found.push(...checkCompatibility(older, materialized, { subject, olderVersion: previous, newerVersion: id.version }))
    }
  }
  return result(id.version, previous, materialized)
}
