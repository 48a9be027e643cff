import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { runGit } from '../../../src/schemas/repository/git.js'

export const sluiceSchemas = fileURLToPath(new URL('../../../schemas', import.meta.url))

export interface GitFixture {
  dir: string
  git(...args: string[]): Promise<string>
  write(path: string, text: string): Promise<void>
  /** Stages everything and commits; returns the new commit. */
  commit(message: string): Promise<string>
}

/** A fresh git work tree in a temporary directory, removed after the test. */
export async function createGitFixture (t: TestContext): Promise<GitFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-registry-'))
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }))
  const git = (...args: string[]): Promise<string> => runGit(args, { cwd: dir })
  await git('init', '--quiet', '--initial-branch=main')
  await git('config', 'user.email', 'author@example.org')
  await git('config', 'user.name', 'Schema Author')
  await git('config', 'commit.gpgsign', 'false')
  return {
    dir,
    git,
    async write (path, text) {
      await mkdir(dirname(join(dir, path)), { recursive: true })
      await writeFile(join(dir, path), text)
    },
    async commit (message) {
      await git('add', '--all')
      await git('commit', '--quiet', '--no-verify', '-m', message)
      return (await git('rev-parse', 'HEAD')).trim()
    }
  }
}

/** Copies this project's schema repository (symlinks kept) into `schemas/` of the fixture. */
export async function copySluiceSchemas (fixture: GitFixture): Promise<string> {
  const target = join(fixture.dir, 'schemas')
  await cp(sluiceSchemas, target, { recursive: true, verbatimSymlinks: true })
  return target
}
