import { test } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { changedFiles, filesAt, gitTopLevel, runGit, showFile } from '../../../src/schemas/repository/git.js'
import { GitCommandError } from '../../../src/schemas/errors.js'
import { createGitFixture } from './git-fixture.js'

void test('changed and untracked files since a ref, relative to the directory asked about', async (t) => {
  const fixture = await createGitFixture(t)
  await fixture.write('schemas/a/current.yaml', 'a: 1\n')
  await fixture.write('schemas/b c;$(touch x)/current.yaml', 'b: 1\n')
  await fixture.write('other/file.txt', 'x\n')
  const base = await fixture.commit('base')
  await fixture.write('schemas/a/current.yaml', 'a: 2\n')
  await fixture.write('schemas/new/current.yaml', 'n: 1\n')
  await fixture.write('other/file.txt', 'y\n')
  const dir = `${fixture.dir}/schemas`
  assert.deepEqual(await changedFiles(dir, base), ['a/current.yaml', 'new/current.yaml'])
  assert.deepEqual(await filesAt(dir, base), ['a/current.yaml', 'b c;$(touch x)/current.yaml'])
  assert.equal(await showFile(dir, base, 'a/current.yaml'), 'a: 1\n')
  assert.equal(await showFile(dir, base, 'b c;$(touch x)/current.yaml'), 'b: 1\n')
  assert.equal(await showFile(dir, base, 'missing.yaml'), undefined)
  assert.equal(await gitTopLevel(dir), fixture.dir)
})

void test('refs that git could read as options are refused before git runs', async (t) => {
  const fixture = await createGitFixture(t)
  await assert.rejects(changedFiles(fixture.dir, '--output=/tmp/x'), GitCommandError)
  await assert.rejects(runGit(['rev-parse', 'no-such-ref'], { cwd: fixture.dir }), (err: unknown) => err instanceof GitCommandError && err.stderr.length > 0)
})

void test('a file is absent only when git says the ref does not have it; any other git failure is an error', async (t) => {
  const fixture = await createGitFixture(t)
  await fixture.write('schemas/a/1.0.0.yaml', 'a: 1\n')
  const base = await fixture.commit('base')
  const dir = `${fixture.dir}/schemas`
  await fixture.write('schemas/a/2.0.0.yaml', 'a: 2\n')
  assert.equal(await showFile(dir, base, 'a/2.0.0.yaml'), undefined, 'on disk but not committed')
  assert.equal(await showFile(dir, base, 'b/1.0.0.yaml'), undefined, 'nowhere')
  // An unknown ref, or a directory outside any repository, must not read as "never published".
  await assert.rejects(showFile(dir, 'no-such-ref', 'a/1.0.0.yaml'), GitCommandError)
  await assert.rejects(showFile(dir, `${base.slice(0, 8)}0000000000000000000000000000000000`, 'a/1.0.0.yaml'), GitCommandError)
  const outside = await mkdtemp(join(tmpdir(), 'sluice-not-git-'))
  t.after(() => rm(outside, { recursive: true, force: true }))
  await assert.rejects(showFile(outside, 'HEAD', 'a/1.0.0.yaml'), GitCommandError)
  assert.equal(await gitTopLevel(outside), undefined)
  await assert.rejects(gitTopLevel(join(outside, 'no-such-directory')), GitCommandError)
  // Before the first commit nothing is published.
  await runGit(['init', '--quiet', outside])
  assert.equal(await showFile(outside, 'HEAD', 'a/1.0.0.yaml'), undefined)
})
