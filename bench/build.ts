import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'

// The processes whose RSS is measured run from JavaScript, as production runs the services
// (`node dist/src/bin/sluice.js`): under tsx their RSS carries the loader's too (10 to 70 MB more
// in a measurement here). So the bench first emits src/ and the baselines' servers and clients
// into dist/ as `npm run build` does, without the type check (a few seconds).

/** The scripts of bench/ that run from dist/bench/ (processes whose RSS is a baseline). */
const builtScripts = ['bench/bare-fastify.ts', 'bench/bare-undici.ts', 'bench/sse-baseline.ts']

/** Builds src/ and the baselines' scripts into dist/; answers dist/. */
export async function buildSluice (root: string, workDir: string): Promise<string> {
  const tsconfig = join(workDir, 'tsconfig.build.json')
  await writeFile(tsconfig, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { rootDir: root, outDir: join(root, 'dist'), noCheck: true },
    include: [join(root, 'src/**/*.ts'), ...builtScripts.map((file) => join(root, file))]
  }))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const child = spawn(process.execPath, [tsc, '-p', tsconfig], { cwd: root, stdio: ['ignore', 2, 'inherit'] })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`bench: building src/ failed (tsc exited with ${code})`)
  return join(root, 'dist')
}
