import { readFile, readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { materializeSchema } from './src/registry/materialize.js'
import { parseSchemaText, deepEqual, sortSchemaKeys } from './src/registry/serialize.js'

const base = '/work/shared/realschemas/primary/jsonschema'
async function* walk (dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield * walk(p)
    else if (e.name === 'current.yaml') yield p
  }
}
function diff (a: unknown, b: unknown, path = ''): string[] {
  if (deepEqual(a, b)) return []
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) === !Array.isArray(b)) {
    const out: string[] = []
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) out.push(...diff((a as any)[k], (b as any)[k], path + '/' + k))
    return out
  }
  return [`${path}: ours=${JSON.stringify(a)?.slice(0, 120)} theirs=${JSON.stringify(b)?.slice(0, 120)}`]
}
for await (const file of walk(base)) {
  const src = parseSchemaText(await readFile(file, 'utf8'), file)
  const id = String(src.$id)
  const version = id.split('/').pop()!
  try {
    const out = await materializeSchema(src, {
      conventions: { stripNestedIds: false, numericBounds: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
      load: async (ref) => {
        let f = join(base, ref.replace(/^\//, '')); let t = await readFile(f, 'utf8').catch(() => undefined); if (t === undefined) return undefined
        if (/^[\w.-]+$/.test(t.trim())) { f = join(f, '..', t.trim()); t = await readFile(f, 'utf8') }
        return parseSchemaText(t, f)
      }
    })
    const theirs = parseSchemaText(await readFile(join(file, '..', version + '.yaml'), 'utf8'), 'x')
    const d = diff(out, theirs)
    console.log(relative(base, file), d.length === 0 ? 'OK' : 'DIFF')
    for (const line of d.slice(0, 8)) console.log('   ', line)
  } catch (e) { console.log(relative(base, file), 'ERROR', (e as Error).message) }
}
