/**
 * The package's folders depend downwards only, as the README's layout shows:
 * document ← lookup; document ← repository ← publishing ← checks ← api.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = fileURLToPath(new URL('../../src/schemas/', import.meta.url))

/** What each folder may import from the package, besides itself and the package's errors.ts. */
const allowed: Record<string, readonly string[]> = {
  document: [],
  lookup: ['document'],
  repository: ['document'],
  publishing: ['document', 'repository'],
  checks: ['document', 'repository', 'publishing'],
  api: ['document', 'repository', 'publishing', 'checks']
}

/** `file → imported file`, both relative to src/schemas, for imports that stay inside the package. */
async function packageImports (): Promise<Array<[string, string]>> {
  const entries = await readdir(packageDir, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => relative(packageDir, join(e.parentPath, e.name)))
  const out: Array<[string, string]> = []
  for (const file of files) {
    const text = await readFile(join(packageDir, file), 'utf8')
    for (const [, specifier] of text.matchAll(/^import [^\n]* from '(\.[^']+)'/gm)) {
      const target = normalize(join(dirname(file), specifier as string)).replace(/\.js$/, '.ts')
      if (!target.startsWith('..')) out.push([file, target])
    }
  }
  return out
}

void test('every folder of src/schemas imports only the folders below it', async () => {
  const upward = (await packageImports()).filter(([file, target]) => {
    const from = file.split('/')[0] as string
    const to = target.split('/')[0] as string
    if (from === 'index.ts' || to === 'errors.ts' || from === to) return false
    return !(allowed[from] ?? []).includes(to)
  })
  assert.deepEqual(upward, [])
})

void test('storage never reads the repository config: the config tells it where the schema tree is', async () => {
  const storage = ['repository/directory-files.ts', 'repository/git-repository.ts', 'repository/git.ts', 'repository/schema-files.ts']
  const imports = (await packageImports()).filter(([file]) => storage.includes(file)).map(([, target]) => target)
  assert.ok(imports.length > 0)
  assert.equal(imports.includes('repository/config.ts'), false, imports.join(', '))
})
