import { deepEqual } from '../document/json-value.js'
import { parseSchemaText } from '../document/serialize.js'
import { majorOf } from '../document/version.js'
import { isExempt, isIgnored } from '../repository/config.js'
import type { RepositoryConfig } from '../repository/config.js'
import type { RepositoryCore } from '../repository/repository.js'
import { checkCompatibility } from './compatibility.js'
import { checkRobustness } from './robustness.js'
import { checkTitleStructure } from './structure.js'
import { violation } from './violation.js'
import type { Violation } from './violation.js'

/** The published files as they were at the base of a change (`--since REF`). */
export interface Baseline {
  ref: string
  /** Repository-relative paths of published version files (`X.Y.Z.yaml`, `X.Y.Z.json`) at the ref. */
  paths: readonly string[]
  read(path: string): Promise<string | undefined>
}

export interface CheckOptions {
  repository: RepositoryCore
  config: RepositoryConfig
  /** Check only these titles (the pull-request case); undefined checks every title. */
  titles?: ReadonlySet<string>
  baseline?: Baseline
}

export interface CheckReport {
  violations: Violation[]
  /** Titles and published versions that were looked at. */
  checked: { titles: number, versions: number }
  /** Violations switched off by the repository's exceptions. */
  exempted: number
}

const publishedFile = /^(.+)\/((?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))\.(yaml|json)$/

/** Structure, robustness and compatibility of a repository, with its exceptions applied. */
export async function checkRepository (options: CheckOptions): Promise<CheckReport> {
  const { repository, config } = options
  const index = await repository.index()
  const found: Violation[] = []
  let titles = 0
  let versions = 0
  for (const entry of index.titles.values()) {
    if (options.titles !== undefined && !options.titles.has(entry.title)) continue
    titles++
    const structure = await checkTitleStructure(repository, config, entry)
    found.push(...structure.violations)
    const published = structure.versions.filter((v) => !isIgnored(config, v.subject.schema))
    versions += published.length
    for (const version of published) {
      found.push(...checkRobustness(version.schema, version.subject, { numericBounds: config.conventions.numericBounds }))
    }
    for (let i = 1; i < published.length; i++) {
      const older = published[i - 1]
      const newer = published[i]
      if (older === undefined || newer === undefined || majorOf(older.version) !== majorOf(newer.version)) continue
      found.push(...checkCompatibility(older.schema, newer.schema, { subject: newer.subject, olderVersion: older.version, newerVersion: newer.version }))
    }
  }
  if (options.baseline !== undefined) found.push(...await checkImmutability(repository, options.baseline))
  const violations = found.filter((v) => !isExempt(config, v.schema, v.rule) && !isIgnored(config, v.schema))
  return { violations, checked: { titles, versions }, exempted: found.length - violations.length }
}

/** Every version file published at the base ref must still exist with the same content. */
async function checkImmutability (repository: RepositoryCore, baseline: Baseline): Promise<Violation[]> {
  const out: Violation[] = []
  for (const path of baseline.paths) {
    const m = publishedFile.exec(path)
    if (m === null) continue
    const title = m[1] as string
    const version = m[2] as string
    const subject = { schema: `/${title}/${version}`, title, version, file: path }
    const before = await baseline.read(path)
    if (before === undefined) continue
    const now = await repository.readResolved(path)
    if (now === undefined) {
      out.push(violation(subject, 'structure-published-version-unchanged', '', `${path} was published at ${baseline.ref} and has been deleted`,
        `restore it (git checkout ${baseline.ref} -- ${path}); published versions are never removed`))
      continue
    }
    let same: boolean
    try {
      same = deepEqual(parseSchemaText(before, path), parseSchemaText(now, path))
    } catch {
      same = before === now
    }
    if (!same) {
      out.push(violation(subject, 'structure-published-version-unchanged', '', `${path} was published at ${baseline.ref} and has been edited`,
        `restore it (git checkout ${baseline.ref} -- ${path}) and publish the change as a new version`))
    }
  }
  return out
}
