import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What /_info answers: the package's name, version, description and home page. */
export interface ServiceInfo {
  name: string
  version: string
  description: string
  home: string | undefined
}

/** package.json sits two levels up from src/ and three from dist/src/: walk up to find it. */
export function readServiceInfo (): ServiceInfo {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as Record<string, unknown>
      return {
        name: String(pkg.name),
        version: String(pkg.version),
        description: String(pkg.description ?? ''),
        home: typeof pkg.homepage === 'string' ? pkg.homepage : undefined
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return { name: 'sluice', version: '0.0.0', description: '', home: undefined }
    dir = parent
  }
}
