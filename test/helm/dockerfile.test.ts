import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import yaml from 'js-yaml'
import { chartDir, repoRoot } from './chart-tools.js'

interface Instruction {
  keyword: string
  args: string
}

interface Stage {
  from: string
  name: string | undefined
  instructions: Instruction[]
}

/** Dockerfile instructions grouped by stage, with continuation lines joined and comments dropped. */
function parseDockerfile (text: string): Stage[] {
  const logical: string[] = []
  let current = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (current === '' && (line === '' || line.startsWith('#'))) continue
    if (line.startsWith('#')) continue
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' '
      continue
    }
    logical.push(current + line)
    current = ''
  }
  const stages: Stage[] = []
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/)
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') }
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)
      stages.push({ from: match?.[1] ?? instruction.args, name: match?.[2], instructions: [] })
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return stages
}

function runs (stage: Stage): string {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n')
}

function last (stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args
}

async function load (): Promise<{ stages: Stage[], build: Stage, runtime: Stage }> {
  const stages = parseDockerfile(await readFile(join(repoRoot, 'Dockerfile'), 'utf8'))
  const runtime = stages.at(-1)
  const build = stages.find((stage) => stage.name === 'build')
  assert.ok(runtime !== undefined && build !== undefined, 'expected a "build" stage and a final runtime stage')
  return { stages, build, runtime }
}

void test('the image is built in one stage and run from another', async () => {
  const { stages, build, runtime } = await load()
  assert.ok(stages.length >= 2)
  assert.notEqual(build, runtime)
  assert.match(runs(build), /\bnpm ci\b(?!.*--omit=dev)/)
  assert.match(runs(build), /\bnpm run build\b/)
  assert.match(runs(runtime), /\bnpm ci --omit=dev\b/)
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY')
  assert.ok(copies.some((c) => /^--from=build\s+\S*dist/.test(c.args)), 'the runtime stage copies the compiled output from the build stage')
  assert.ok(!copies.some((c) => /node_modules/.test(c.args)), 'the runtime stage installs its own production dependencies')
})

void test('the runtime stage runs as a fixed non-root user, the one the chart expects', async () => {
  const { runtime } = await load()
  const user = last(runtime, 'USER')
  assert.ok(user !== undefined, 'no USER in the runtime stage')
  const [uid, gid] = user.split(':')
  assert.match(uid ?? '', /^\d+$/, 'USER must be numeric so that runAsNonRoot can be verified')
  assert.notEqual(Number(uid), 0)
  const values = yaml.load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as {
    podSecurityContext: { runAsUser: number, runAsGroup: number }
    gateway: { port: number }
    changeprop: { port: number }
    streams: { port: number }
  }
  assert.equal(Number(uid), values.podSecurityContext.runAsUser)
  assert.equal(Number(gid), values.podSecurityContext.runAsGroup)
  const exposed = (last(runtime, 'EXPOSE') ?? '').split(/\s+/).map(Number)
  assert.deepEqual(exposed.sort(), [values.changeprop.port, values.gateway.port, values.streams.port].sort())
})

void test('the entrypoint is node with the file package.json bin points to, which the build emits', async () => {
  const { runtime } = await load()
  const entrypoint = JSON.parse(last(runtime, 'ENTRYPOINT') ?? 'null') as string[] | null
  assert.ok(Array.isArray(entrypoint), 'ENTRYPOINT must use the exec form so node receives SIGTERM')
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  assert.deepEqual(entrypoint, ['node', pkg.bin.sluice])
  // tsc emits <outDir>/<path relative to rootDir>.js
  const tsconfig = JSON.parse(await readFile(join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: { rootDir: string, outDir: string } }
  const source = 'src/bin/sluice.ts'
  assert.ok(existsSync(join(repoRoot, source)))
  const emitted = posix.join(tsconfig.compilerOptions.outDir, posix.relative(tsconfig.compilerOptions.rootDir, source)).replace(/\.ts$/, '.js')
  assert.equal(emitted, pkg.bin.sluice)
  assert.equal(last(runtime, 'WORKDIR'), '/app')
  // The whole compiled src/ tree lands at /app/dist/src, so the entrypoint's relative path resolves.
  const compiledDir = posix.dirname(posix.dirname(emitted))
  const copied = runtime.instructions.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build')).map((i) => i.args.split(/\s+/))
  assert.ok(copied.some((args) => args.at(-2)?.endsWith(`/${compiledDir}`) === true && args.at(-1) === `./${compiledDir}`), `${compiledDir} is not copied to /app/${compiledDir}`)
})

void test('the schema repository and stream config are baked in where the chart looks for them', async () => {
  const { runtime } = await load()
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).map((i) => i.args.split(/\s+/))
  assert.ok(copies.some(([from, to]) => from === 'schemas' && to === './schemas'))
  assert.ok(copies.some(([from, to]) => from === 'stream-config' && to === './stream-config'))
  const helpers = await readFile(join(chartDir, 'templates', '_helpers.tpl'), 'utf8')
  assert.match(helpers, /file:\/\/\/app\/schemas\//)
  assert.match(helpers, /"\/app\/stream-config"/)
})

void test('.dockerignore keeps the build context small without hiding what the Dockerfile copies', async () => {
  const ignored = (await readFile(join(repoRoot, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const entry of ['**/node_modules', 'dist', '.git']) assert.ok(ignored.includes(entry), `${entry} is not ignored`)
  const { stages } = await load()
  const sources = stages.flatMap((stage) => stage.instructions)
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
  assert.ok(sources.length > 0)
  for (const source of sources) {
    assert.ok(existsSync(join(repoRoot, source)), `COPY ${source}: not in the repository`)
    assert.ok(!ignored.some((pattern) => pattern === source || pattern === source.split('/')[0]), `COPY ${source} is excluded by .dockerignore`)
  }
})
