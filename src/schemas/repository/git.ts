import { execFile } from 'node:child_process'
import { GitCommandError } from '../errors.js'

export interface GitOptions {
  /** Working directory, or undefined with `gitDir`. */
  cwd?: string
  /** A bare repository to run in (`--git-dir`). */
  gitDir?: string
  timeoutMs?: number
}

/** Enough for listing a large schema tree or reading a big schema. */
const maxBufferBytes = 64 * 1024 * 1024

/**
 * Runs git with an argument vector, never through a shell, so paths and refs
 * are passed as they are. Prompts are off (a missing credential fails instead
 * of hanging), and only ordinary transports are allowed (`ext::` could run
 * commands).
 */
export function runGit (args: readonly string[], options: GitOptions = {}): Promise<string> {
  const argv = options.gitDir === undefined ? [...args] : ['--git-dir', options.gitDir, ...args]
  return new Promise((resolve, reject) => {
    execFile('git', argv, {
      cwd: options.cwd,
      encoding: 'utf8',
      maxBuffer: maxBufferBytes,
      timeout: options.timeoutMs ?? 120_000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh', LC_ALL: 'C' }
    }, (err, stdout, stderr) => {
      if (err !== null) reject(new GitCommandError(argv, stderr, err))
      else resolve(stdout)
    })
  })
}

/** Refs and URLs come from users: refuse anything git could read as an option. */
export function assertSafeRevision (ref: string): void {
  if (ref === '' || ref.startsWith('-') || /[\s\0]/.test(ref) || ref.length > 256) {
    throw new GitCommandError(['rev-parse', ref], `'${ref}' is not an acceptable git revision`)
  }
}

function splitZ (output: string): string[] {
  return output.split('\0').filter((line) => line !== '')
}

/** The top of the work tree containing `cwd`, or undefined outside git; any other git failure is an error. */
export async function gitTopLevel (cwd: string): Promise<string | undefined> {
  try {
    return (await runGit(['rev-parse', '--show-toplevel'], { cwd })).trim()
  } catch (err) {
    if (err instanceof GitCommandError && /^fatal: not a git repository/m.test(err.stderr)) return undefined
    throw err
  }
}

/**
 * Files under `cwd` that differ from `ref` in the work tree (staged or not),
 * plus untracked ones, relative to `cwd`.
 */
export async function changedFiles (cwd: string, ref: string): Promise<string[]> {
  assertSafeRevision(ref)
  const changed = splitZ(await runGit(['diff', '--name-only', '--relative', '-z', '--no-renames', ref, '--', '.'], { cwd }))
  const untracked = splitZ(await runGit(['ls-files', '--others', '--exclude-standard', '-z', '--', '.'], { cwd }))
  return [...new Set([...changed, ...untracked])].sort()
}

/** Files under `cwd` as they are in `ref`, relative to `cwd`. */
export async function filesAt (cwd: string, ref: string): Promise<string[]> {
  assertSafeRevision(ref)
  return splitZ(await runGit(['ls-tree', '-r', '-z', '--name-only', ref, '--', '.'], { cwd }))
}

/** What git says when the ref exists but has no file at the path (LC_ALL=C keeps it in English). */
const notInRef = /^fatal: path '.*' (?:does not exist in|exists on disk, but not in) '/m

/**
 * A file's content in `ref` (path relative to `cwd`), or undefined when the ref
 * does not have it. Any other failure (an unknown ref, no repository, a broken
 * clone) is a `GitCommandError`: taken for "absent", it would let a published
 * version be rewritten as if it had never been published.
 */
export async function showFile (cwd: string, ref: string, path: string): Promise<string | undefined> {
  assertSafeRevision(ref)
  try {
    return await runGit(['show', `${ref}:./${path}`], { cwd })
  } catch (err) {
    if (err instanceof GitCommandError && (notInRef.test(err.stderr) || (ref === 'HEAD' && await isUnbornHead(cwd)))) return undefined
    throw err
  }
}

/** A repository without a first commit: nothing is published in it yet. */
async function isUnbornHead (cwd: string): Promise<boolean> {
  try {
    await runGit(['rev-parse', '--git-dir'], { cwd })
  } catch {
    return false
  }
  return runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd }).then(() => false, () => true)
}
