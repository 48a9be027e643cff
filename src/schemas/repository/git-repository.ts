import { createHash } from 'node:crypto'
import { access, mkdir } from 'node:fs/promises'
import { isAbsolute, join, posix, resolve } from 'node:path'
import type { Logger } from '../../logger.js'
import type { SchemaMetrics } from '../../metrics/schemas.js'
import { GitCommandError, RepositoryConfigInvalidError, RepositoryLoadError, RepositoryNotReadyError } from '../errors.js'
import { assertSafeRevision, runGit } from './git.js'
import { createRepositoryCore } from './repository.js'
import type { RepositoryCore, SchemaRepository } from './repository.js'
import type { SchemaFiles } from './schema-files.js'

export interface GitRefOptions {
  /** A path or URL git can fetch from. */
  repository: string
  /** The branch or tag this environment serves. */
  ref: string
  /** Directory of the schema tree inside a commit, given all of the commit's files; the repository config decides (see open.ts). */
  schemaTree: (commit: SchemaFiles) => Promise<string>
  /** How often to fetch the ref; 0 turns polling off (reload on demand only). */
  pollIntervalMs: number
  /** Where the bare clone is kept between restarts. */
  cacheDir: string
  logger: Logger
  metrics?: SchemaMetrics
  /**
   * Called after a reload (polled or not) started serving a different commit, so that caches
   * of mutable URIs (`…/latest`) built from the previous one can be dropped.
   */
  onCommitChange?: (commit: string) => void
}

export interface GitSchemaRepository extends SchemaRepository {
  /** First load; throws a clear error when the repository or ref cannot be read. */
  start(): Promise<void>
  /** Fetch the ref and serve its new commit; false (and the last good commit kept) on failure. */
  reload(): Promise<boolean>
  /** The commit being served ('' before start). */
  readonly commit: string
  close(): Promise<void>
}

interface TreeEntry {
  mode: string
  sha: string
}

interface Snapshot {
  commit: string
  basePath: string
  core: RepositoryCore
}

const servedRef = 'refs/sluice/served'
const maxCachedBlobs = 4096

/**
 * Serves the schemas of one git ref. Each load fetches the ref into a bare
 * clone and indexes that commit's tree; files are read from git objects, so
 * what is served is exactly what was merged, and a half-finished fetch is
 * never visible. Published versions are immutable, so validators compiled
 * from an older commit stay valid after a reload.
 */
export function openGitRef (options: GitRefOptions): GitSchemaRepository {
  assertSafeRevision(options.ref)
  if (options.repository === '' || options.repository.startsWith('-')) {
    throw new GitCommandError(['fetch', options.repository], 'not a repository location')
  }
  const source = isLocalPath(options.repository) ? resolve(options.repository) : options.repository
  const gitDir = join(options.cacheDir, `${createHash('sha256').update(source).digest('hex').slice(0, 16)}.git`)
  const log = options.logger.child({ module: 'schema-repository', repository: source, ref: options.ref })
  const readBlob = createBlobReader(gitDir)
  let snapshot: Snapshot | undefined
  let inFlight: Promise<boolean> | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const load = async (): Promise<Snapshot> => await loadSnapshot(options, source, gitDir, readBlob)

  async function reloadOnce (): Promise<boolean> {
    const started = process.hrtime.bigint()
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9
    try {
      const next = await load()
      const previous = snapshot?.commit
      snapshot = next
      recordReload(options.metrics, 'success', seconds())
      if (previous !== next.commit) {
        log.info({ commit: next.commit, previous, path: next.basePath }, 'serving schema repository commit')
        options.onCommitChange?.(next.commit)
      }
      return true
    } catch (err) {
      recordReload(options.metrics, 'failure', seconds())
      log.error({ err, commit: snapshot?.commit }, 'schema repository reload failed; still serving the previous commit')
      return false
    }
  }

  function reload (): Promise<boolean> {
    if (snapshot === undefined) return Promise.resolve(false)
    inFlight ??= reloadOnce().finally(() => { inFlight = undefined })
    return inFlight
  }

  function schedule (): void {
    if (closed || options.pollIntervalMs <= 0) return
    timer = setTimeout(() => {
      void reload().finally(schedule)
    }, options.pollIntervalMs)
    timer.unref()
  }

  function current (): RepositoryCore {
    if (snapshot === undefined) throw new RepositoryNotReadyError(`${source} ${options.ref}`)
    return snapshot.core
  }

  return {
    description: `git ${source} ${options.ref}`,
    get commit () {
      return snapshot?.commit ?? ''
    },
    async start () {
      if (snapshot !== undefined) return
      const started = process.hrtime.bigint()
      try {
        snapshot = await load()
      } catch (err) {
        recordReload(options.metrics, 'failure')
        throw new RepositoryLoadError(`${source} at ${options.ref}`, err)
      }
      recordReload(options.metrics, 'success', Number(process.hrtime.bigint() - started) / 1e9)
      log.info({ commit: snapshot.commit, path: snapshot.basePath }, 'serving schema repository commit')
      schedule()
    },
    reload,
    async close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      await inFlight
    },
    read: async (path) => current().read(path),
    listTitles: async () => current().listTitles(),
    listVersions: async (title) => current().listVersions(title),
    readVersion: async (title, version) => current().readVersion(title, version)
  }
}

/** Git blobs by sha, each read once (a bounded cache: cleared when full). */
function createBlobReader (gitDir: string): (sha: string) => Promise<string> {
  const blobs = new Map<string, Promise<string>>()
  return (sha) => {
    let pending = blobs.get(sha)
    if (pending === undefined) {
      if (blobs.size >= maxCachedBlobs) blobs.clear()
      pending = runGit(['cat-file', 'blob', sha], { gitDir })
      blobs.set(sha, pending)
      pending.catch(() => blobs.delete(sha))
    }
    return pending
  }
}

/** Fetches the ref into the bare clone and indexes its commit's schema tree. */
async function loadSnapshot (options: GitRefOptions, source: string, gitDir: string, readBlob: (sha: string) => Promise<string>): Promise<Snapshot> {
  await mkdir(options.cacheDir, { recursive: true })
  if (!(await exists(join(gitDir, 'HEAD')))) await runGit(['init', '--bare', '--quiet', gitDir])
  await runGit(['fetch', '--quiet', '--no-tags', '--force', '--', source, `+${options.ref}:${servedRef}`], { gitDir })
  const commit = (await runGit(['rev-parse', '--verify', `${servedRef}^{commit}`], { gitDir })).trim()
  const tree = new Map<string, TreeEntry>()
  for (const line of (await runGit(['ls-tree', '-r', '-z', '--full-tree', commit], { gitDir })).split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(line)
    if (m !== null && (m[2] === 'blob')) tree.set(m[4] as string, { mode: m[1] as string, sha: m[3] as string })
  }
  const description = `git ${source} ${options.ref}@${commit.slice(0, 12)}`
  const basePath = normalizeBase(await options.schemaTree(snapshotFiles(description, tree, '', readBlob)))
  const files = snapshotFiles(description, tree, basePath, readBlob)
  const core = createRepositoryCore(files, { immutable: true })
  const index = await core.index()
  options.metrics?.versions.set([...index.titles.values()].reduce((n, e) => n + e.versions.length, 0))
  return { commit, basePath, core }
}

/** A load's outcome in the metrics; a first load that failed has no duration worth keeping. */
function recordReload (metrics: SchemaMetrics | undefined, result: 'success' | 'failure', seconds?: number): void {
  metrics?.reloads.inc({ result })
  if (seconds !== undefined) metrics?.reloadDuration.observe({ result }, seconds)
  if (result === 'success') metrics?.lastReloadSuccess.set(Date.now() / 1000)
  metrics?.reloadFailing.set(result === 'success' ? 0 : 1)
}

/** The files of one commit under `basePath`, with symlinks resolved inside that tree only. */
function snapshotFiles (description: string, tree: ReadonlyMap<string, TreeEntry>, basePath: string, readBlob: (sha: string) => Promise<string>): SchemaFiles {
  const prefix = basePath === '' ? '' : `${basePath}/`
  const list: string[] = []
  for (const path of tree.keys()) {
    if (!path.startsWith(prefix)) continue
    const rel = path.slice(prefix.length)
    if (rel.split('/').some((segment) => segment.startsWith('.'))) continue
    list.push(rel)
  }
  list.sort()

  async function readText (rel: string, hops = 0): Promise<string | undefined> {
    const entry = tree.get(prefix + rel)
    if (entry === undefined) return undefined
    const text = await readBlob(entry.sha)
    if (entry.mode !== '120000') return text
    if (hops >= 4) return undefined
    const target = posix.normalize(posix.join(posix.dirname(rel), text))
    if (target.startsWith('../') || posix.isAbsolute(target)) return undefined
    return readText(target, hops + 1)
  }

  return {
    description,
    list: async () => [...list],
    readText: (rel) => readText(rel),
    async readLink (rel) {
      const entry = tree.get(prefix + rel)
      return entry?.mode === '120000' ? readBlob(entry.sha) : undefined
    }
  }
}

function normalizeBase (path: string): string {
  const normalized = posix.normalize(path.replaceAll('\\', '/')).replace(/^\.\/?/, '').replace(/\/+$/, '')
  if (normalized.startsWith('..') || posix.isAbsolute(normalized)) {
    throw new RepositoryConfigInvalidError('schema path', [`'${path}' is outside the repository`])
  }
  return normalized
}

function isLocalPath (location: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return false
  // scp-like syntax: user@host:path
  if (/^[^/\\]+@[^/\\]+:/.test(location)) return false
  return isAbsolute(location) || location.startsWith('.') || !location.includes(':')
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
