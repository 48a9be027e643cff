import { isSluiceError, messageOf } from '../../errors.js'
import { appendPointer } from '../document/json-pointer.js'
import { deepEqual } from '../document/json-value.js'
import { parseSchemaText } from '../document/serialize.js'
import { compareVersions } from '../document/version.js'
import { materializeSchema } from '../publishing/materialize.js'
import { repositoryReferenceLoader } from '../publishing/reference-loader.js'
import type { RepositoryConfig } from '../repository/config.js'
import { pointerTarget } from '../repository/repository.js'
import type { RepositoryCore, TitleEntry } from '../repository/repository.js'
import { parseSchemaId, schemaIdOf } from '../repository/schema-path.js'
import { violation } from './violation.js'
import type { Violation, ViolationSubject } from './violation.js'

export interface PublishedVersion {
  version: string
  schema: Record<string, unknown>
  subject: ViolationSubject
}

export interface TitleStructure {
  violations: Violation[]
  /** Versions whose primary file parsed, ascending: the input of robustness and compatibility. */
  versions: PublishedVersion[]
}

/**
 * Layout rules of one title: files parse, title and `$id` match the path, the
 * content types and pointers agree, and current.yaml materializes to exactly
 * the latest version.
 */
export async function checkTitleStructure (repository: RepositoryCore, config: RepositoryConfig, entry: TitleEntry): Promise<TitleStructure> {
  const { title } = entry
  const out: Violation[] = []
  const versions: PublishedVersion[] = []
  const [primary, ...others] = config.contentTypes as [string, ...string[]]

  for (const version of entry.versions) {
    const id = schemaIdOf(title, version)
    const file = `${title}/${version}.${primary}`
    const subject: ViolationSubject = { schema: id, title, version, file }
    const parsed = new Map<string, Record<string, unknown>>()
    for (const type of config.contentTypes) {
      const path = `${title}/${version}.${type}`
      const text = await repository.readResolved(path)
      if (text === undefined) {
        out.push(violation({ ...subject, file: path }, 'structure-version-files-consistent', '', `${path} is missing`,
          `run 'sluice schemas materialize ${title}/current.yaml' (with current.yaml at ${version}) to write every content type`))
        continue
      }
      try {
        parsed.set(type, parseSchemaText(text, path))
      } catch (err) {
        out.push(violation({ ...subject, file: path }, 'structure-readable', '', messageOf(err), 'restore the file from git; published versions are generated'))
      }
    }
    const schema = parsed.get(primary)
    if (schema === undefined) continue
    for (const type of others) {
      const copy = parsed.get(type)
      if (copy !== undefined && !deepEqual(copy, schema)) {
        out.push(violation({ ...subject, file: `${title}/${version}.${type}` }, 'structure-version-files-consistent', '',
          `${version}.${type} differs from ${version}.${primary}`, 'materialize again; both files are generated from one object'))
      }
    }
    if (schema.title !== title) {
      out.push(violation(subject, 'structure-title-matches-directory', '/title', `title is ${JSON.stringify(schema.title)} but the directory is ${title}`,
        `set title: ${title} (or move the schema to ${String(schema.title)}/)`))
    }
    if (schema.$id !== id) {
      out.push(violation(subject, 'structure-id-matches-path', '/$id', `$id is ${JSON.stringify(schema.$id)} but the file is ${file}`,
        `set $id: ${id}`))
    }
    out.push(...await checkPointer(repository, subject, `${title}/${version}`, `${version}.${primary}`))
    versions.push({ version, schema, subject })
  }

  const latest = entry.versions.at(-1)
  if (latest !== undefined) {
    const subject: ViolationSubject = { schema: schemaIdOf(title, latest), title, version: latest, file: `${title}/latest` }
    out.push(...await checkPointer(repository, subject, `${title}/latest`, `${latest}.${primary}`))
    for (const type of config.contentTypes) {
      out.push(...await checkPointer(repository, subject, `${title}/latest.${type}`, `${latest}.${type}`))
    }
  }
  out.push(...await checkCurrent(repository, config, entry, versions))
  return { violations: out, versions }
}

/** `X.Y.Z` and `latest*` must be symlinks (or one-line pointer files) to the right sibling. */
async function checkPointer (repository: RepositoryCore, subject: ViolationSubject, path: string, expected: string): Promise<Violation[]> {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const fix = `point ${name} at ${expected} ('sluice schemas materialize' writes it)`
  const link = await repository.files.readLink(path)
  let target = link
  if (target === undefined) {
    const text = await repository.files.readText(path)
    if (text === undefined) return [violation({ ...subject, file: path }, 'structure-version-files-consistent', '', `${path} is missing`, fix)]
    if (!pointerTarget.test(text.trim())) {
      return [violation({ ...subject, file: path }, 'structure-version-files-consistent', '', `${path} is a copy, not a pointer to ${expected}`, fix)]
    }
    target = text.trim()
  }
  if (target !== expected) {
    return [violation({ ...subject, file: path }, 'structure-version-files-consistent', '', `${path} points to ${target}, not ${expected}`, fix)]
  }
  return []
}

async function checkCurrent (repository: RepositoryCore, config: RepositoryConfig, entry: TitleEntry, versions: readonly PublishedVersion[]): Promise<Violation[]> {
  const { title } = entry
  const file = `${title}/current.yaml`
  const base: ViolationSubject = { schema: file, title, version: 'current', file }
  if (!entry.hasCurrent) {
    return [violation(base, 'structure-readable', '', `${title} has published versions but no current.yaml`,
      `restore ${file}: it is the source the versions are generated from`)]
  }
  const text = await repository.readResolved(file)
  let source: Record<string, unknown>
  try {
    source = parseSchemaText(text ?? '', file)
  } catch (err) {
    return [violation(base, 'structure-readable', '', messageOf(err), 'fix the YAML')]
  }
  const out: Violation[] = []
  const id = parseSchemaId(source.$id)
  const subject: ViolationSubject = { ...base, schema: typeof source.$id === 'string' ? source.$id : file }
  if (source.title !== title) {
    out.push(violation(subject, 'structure-title-matches-directory', '/title', `title is ${JSON.stringify(source.title)} but the directory is ${title}`,
      `set title: ${title}`))
  }
  if (id === undefined || id.title !== title) {
    out.push(violation(subject, 'structure-id-matches-path', '/$id', `$id is ${JSON.stringify(source.$id)}, not /${title}/<X.Y.Z>`,
      `set $id: /${title}/${entry.versions.at(-1) ?? '1.0.0'} (bumped as the change requires)`))
    return out
  }
  let materialized: Record<string, unknown>
  try {
    materialized = await materializeSchema(source, { load: repositoryReferenceLoader(repository), conventions: config.conventions })
  } catch (err) {
    if (!isSluiceError(err)) throw err
    out.push(violation(subject, 'structure-readable', (err as { pointer?: string }).pointer ?? '', err.message,
      'point $ref at a published version (/title/X.Y.Z#), materializing fragments first'))
    return out
  }
  const latest = versions.at(-1)
  const published = versions.find((v) => v.version === id.version)
  if (published === undefined) {
    const behind = latest !== undefined && compareVersions(id.version, latest.version) < 0
    out.push(violation(subject, 'structure-current-materializes-to-latest', '/$id',
      behind ? `current.yaml is at ${id.version}, behind the latest published version ${latest.version}`
        : `current.yaml is at ${id.version}, which is not materialized`,
      behind ? `set $id to a version above ${latest.version}` : `run 'sluice schemas materialize ${file}' and commit the new files`))
    return out
  }
  if (published !== latest) {
    out.push(violation(subject, 'structure-current-materializes-to-latest', '/$id',
      `current.yaml is at ${id.version} but the latest published version is ${latest?.version ?? '(none)'}`,
      `set $id to a version above ${latest?.version ?? id.version}`))
    return out
  }
  const expected = comparable(published.schema, source, config)
  const actual = comparable(materialized, source, config)
  if (!deepEqual(expected, actual)) {
    out.push(violation(subject, 'structure-current-materializes-to-latest', firstDifference(expected, actual),
      `current.yaml no longer materializes to the published ${id.version}: it was edited without a version bump, or ${id.version}.${config.contentTypes[0] ?? 'yaml'} was edited by hand`,
      `bump $id above ${id.version} and run 'sluice schemas materialize ${file}'`))
  }
  return out
}

/** Examples the repository's tool generated (see RepositoryConfig.generatedExamples) are not compared. */
function comparable (schema: Record<string, unknown>, source: Record<string, unknown>, config: RepositoryConfig): Record<string, unknown> {
  if (!config.generatedExamples || Object.hasOwn(source, 'examples')) return schema
  const rest = { ...schema }
  delete rest.examples
  return rest
}

/** The JSON pointer of the first place two values differ, to show authors where to look. */
export function firstDifference (a: unknown, b: unknown, pointer = ''): string {
  if (deepEqual(a, b)) return pointer
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ra = a as Record<string, unknown>
    const rb = b as Record<string, unknown>
    for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      if (!deepEqual(ra[key], rb[key])) return firstDifference(ra[key], rb[key], appendPointer(pointer, key))
    }
  }
  return pointer
}
