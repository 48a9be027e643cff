// The test runner behind `npm test`:
//   1. type-check and lint (fail fast; skip with --no-lint),
//   2. start a throwaway single-node Kafka broker on a free port, and fetch (once, cached in
//      .cache/kafka) the jars the tests start beside it: the other tested Kafka releases and
//      MirrorMaker 2, so that a fresh clone needs nothing but `npm ci && npm test`,
//   3. run every test/**/*.test.ts (or those under the given paths) with
//      node's test runner, KAFKA_BROKERS pointing at that broker,
//   4. run once more any file some of whose results never arrived, and fail if they still do not
//      (test/helpers/child-results.mjs: how they were lost, and how each file counts its own),
//   5. stop the broker and remove its data, also on failure and on SIGINT/SIGTERM.
// Usage: npm test [-- [--no-lint] [path ...]]
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { isSluiceError } from '../src/errors.js'
import { MIRROR_VERSION, TESTED_KAFKA_VERSIONS, fetchKafkaJars, fetchMirrorJars, kafkaRelease, startLocalBroker, stopLocalBroker } from '../src/local-kafka/index.js'
import type { LocalBroker } from '../src/local-kafka/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const started = Date.now()

const help = `Usage: npm test [-- [--no-lint] [path ...]]

  path        only run the *.test.ts files under these files or directories (default: test/)
  --no-lint   skip 'tsc --noEmit' and 'eslint .' for a quicker local run
`

interface Summary { tests: number, pass: number, fail: number, cancelled: number, skipped: number, todo: number }

function section (title: string): void {
  process.stdout.write(`\n=== ${title} (${((Date.now() - started) / 1000).toFixed(1)} s) ===\n`)
}

/** Runs a command with inherited output; resolves with its exit code. */
function run (command: string, args: string[], children: Set<ChildProcess>): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' })
    children.add(child)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      children.delete(child)
      resolvePromise(code ?? (signal === null ? 1 : 128))
    })
  })
}

async function findTestFiles (paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>()
  async function walk (path: string): Promise<void> {
    const info = await stat(path)
    if (info.isFile()) {
      if (path.endsWith('.test.ts')) found.add(path)
      return
    }
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const child = join(path, entry.name)
      if (entry.isDirectory()) await walk(child)
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.add(child)
    }
  }
  for (const path of paths) await walk(resolve(path))
  return [...found].sort()
}

interface TestRun {
  code: number
  summary: Partial<Summary>
  /** Results that arrived, by file (test/helpers/reported-files.ts). */
  reported: Map<string, number>
  /** Results each file's own process wrote, by file (test/helpers/child-results.mjs). */
  written: Map<string, number>
}

/**
 * Forwards the test output, picks the counts out of the spec reporter's closing lines, and
 * answers how many results arrived from each file and how many its process wrote.
 */
function runTests (files: readonly string[], broker: { bootstrap: string, version: string }, dirs: { testTmpDir: string, reportedFile: string, countsDir: string }, children: Set<ChildProcess>): Promise<TestRun> {
  const { testTmpDir, reportedFile, countsDir } = dirs
  const args = [
    '--import', 'tsx',
    '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'test/helpers/reported-files.ts')}`, `--test-reporter-destination=${reportedFile}`,
    '--test-concurrency=2',
    '--test-timeout=180000',
    // A leaked socket in one file must not hang the whole run.
    '--test-force-exit',
    ...files
  ]
  // KAFKA_VERSION: tests that start brokers of their own run the same release.
  const counter = `--import=${JSON.stringify(pathToFileURL(join(root, 'test/helpers/child-results.mjs')).href)}`
  const env = {
    ...process.env,
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_VERSION: broker.version,
    SLUICE_TEST_TMPDIR: testTmpDir,
    SLUICE_TEST_RESULT_COUNTS: countsDir,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${counter}`.trim(),
    ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {})
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
    children.add(child)
    const summary: Partial<Summary> = {}
    let pending = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) readSummaryLine(line, summary)
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      children.delete(child)
      readSummaryLine(pending, summary)
      Promise.all([readFile(reportedFile, 'utf8').catch(() => ''), readCounts(countsDir)]).then(([text, written]) => {
        const reported = new Map<string, number>()
        for (const file of text.split('\n')) if (file !== '') reported.set(relative(root, file), (reported.get(relative(root, file)) ?? 0) + 1)
        resolvePromise({ code: code ?? (signal === null ? 1 : 128), summary, reported, written })
      }, reject)
    })
  })
}

/** The result counts test/helpers/child-results.mjs left, by file relative to the root. */
async function readCounts (dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const name of await readdir(dir).catch(() => [])) {
    counts.set(relative(root, decodeURIComponent(name)), Number(await readFile(join(dir, name), 'utf8')))
  }
  return counts
}

/** Files some of whose results did not arrive: none at all, or fewer than their process wrote. */
function droppedFiles (files: readonly string[], run: TestRun): string[] {
  return files.filter((file) => {
    const arrived = run.reported.get(file) ?? 0
    return arrived === 0 || arrived < (run.written.get(file) ?? 0)
  })
}

/** Runs the files; any some of whose results never arrived run once more on their own. */
async function runAllTests (files: readonly string[], broker: { bootstrap: string, version: string }, runDir: string, children: Set<ChildProcess>): Promise<{ code: number, summary: Partial<Summary>, missing: string[] }> {
  const testTmpDir = join(runDir, 'tmp')
  const dirsOf = async (n: number): Promise<{ testTmpDir: string, reportedFile: string, countsDir: string }> => {
    const countsDir = join(runDir, `counts-${n}`)
    await mkdir(countsDir)
    return { testTmpDir, reportedFile: join(runDir, `reported-${n}.txt`), countsDir }
  }
  const first = await runTests(files, broker, await dirsOf(1), children)
  const dropped = droppedFiles(files, first)
  if (dropped.length === 0) return { ...first, missing: [] }
  // What did arrive was counted; the rerun's results count in full, so these files count twice.
  section(`Rerunning ${dropped.length} file(s) whose results did not all arrive: ${dropped.map((file) => `${file} (${first.reported.get(file) ?? 0} of ${first.written.get(file) ?? '?'})`).join(', ')}`)
  const again = await runTests(dropped, broker, await dirsOf(2), children)
  const summary: Partial<Summary> = {}
  for (const key of ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const) summary[key] = (first.summary[key] ?? 0) + (again.summary[key] ?? 0)
  return { code: first.code !== 0 ? first.code : again.code, summary, missing: droppedFiles(dropped, again) }
}

function readSummaryLine (line: string, summary: Partial<Summary>): void {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\u001b\[[0-9;]*m/g, '').trim()
  const match = /^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(plain)
  if (match !== null) summary[match[1] as keyof Summary] = Number(match[2])
}

/**
 * The jars tests start beside the run's broker: MirrorMaker 2 (test/multi-datacenter.test.ts,
 * sluice up --datacenters) and every other tested Kafka release (broker-versions.test.ts). One
 * after the other, and before any test: two tests fetching the same jars at once would each run
 * Maven, and none has to wait for a download inside its time limit.
 */
async function fetchTestJars (brokerVersion: string): Promise<string[]> {
  const fetched: string[] = []
  const mirror = await fetchMirrorJars()
  if (mirror.fetched) fetched.push(`MirrorMaker 2 ${MIRROR_VERSION}`)
  for (const version of TESTED_KAFKA_VERSIONS.filter((v) => v !== brokerVersion)) {
    if ((await fetchKafkaJars({ version })).fetched) fetched.push(`Kafka ${version}`)
  }
  return fetched
}

/** Data dirs of local brokers (they hold a broker.json) anywhere under `dir`. */
async function findBrokerDirs (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter((entry) => entry.isFile() && entry.name === 'broker.json').map((entry) => entry.parentPath)
}

async function main (): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: true, options: { 'no-lint': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${help}`)
    return 2
  }
  if (parsed.values.help === true) {
    process.stdout.write(help)
    return 0
  }
  const lint = parsed.values['no-lint'] !== true
  const paths = parsed.positionals.length > 0 ? parsed.positionals : [join(root, 'test')]

  const children = new Set<ChildProcess>()
  let brokerStart: Promise<LocalBroker> | undefined
  let runDir: string | undefined
  let interrupted = false
  let cleaning: Promise<void> | undefined
  const cleanup = async (): Promise<void> => {
    cleaning ??= (async () => {
      for (const child of children) child.kill('SIGTERM')
      // A start still in progress is awaited, so its JVM is not left behind.
      const broker = await brokerStart?.catch(() => undefined)
      if (broker !== undefined) await broker.stop().catch((err: unknown) => { process.stderr.write(`stopping the test broker failed: ${String(err)}\n`) })
      if (runDir !== undefined) {
        // Tests that start brokers of their own keep them under the run's directory,
        // so one killed before its cleanup ran does not outlive the run.
        for (const stray of await findBrokerDirs(runDir)) await stopLocalBroker(stray, { timeoutMs: 5000 }).catch(() => false)
        await rm(runDir, { recursive: true, force: true })
      }
    })()
    return cleaning
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true
      process.stderr.write(`\n${signal}: stopping tests and the test broker\n`)
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    })
  }

  try {
    const files = await findTestFiles(paths)
    if (files.length === 0) {
      process.stderr.write(`No *.test.ts files under ${paths.join(', ')}\n`)
      return 1
    }

    // Checked before anything starts: a typo in KAFKA_VERSION fails at once, not after the type check.
    const kafkaVersion = kafkaRelease(process.env.KAFKA_VERSION === undefined || process.env.KAFKA_VERSION === '' ? undefined : process.env.KAFKA_VERSION).version
    runDir = await mkdtemp(join(tmpdir(), 'sluice-test-'))
    const dataDir = join(runDir, 'kafka')
    const testTmpDir = join(runDir, 'tmp')
    await mkdir(testTmpDir)
    // The broker boots while tsc and eslint run; its JVM mostly waits on I/O.
    brokerStart = startLocalBroker({ port: 0, dataDir, partitions: 1, version: kafkaVersion })
    brokerStart.catch(() => undefined)
    const jarsFetch = fetchTestJars(kafkaVersion)
    jarsFetch.catch(() => undefined)

    if (lint) {
      section('Type check: tsc --noEmit -p .')
      if (await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], children) !== 0) return 1
      section('Lint: eslint .')
      if (await run(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.'], children) !== 0) return 1
    }

    section('Kafka: starting a throwaway broker')
    const ready = await brokerStart
    process.stdout.write(`Kafka ${kafkaVersion} at ${ready.bootstrap} (pid ${ready.pid}, data in ${dataDir})\n`)
    const fetched = await jarsFetch
    process.stdout.write(`MirrorMaker 2 ${MIRROR_VERSION} and Kafka ${TESTED_KAFKA_VERSIONS.join(', ')}: ${fetched.length === 0 ? 'jars cached' : `fetched ${fetched.join(', ')}`} in .cache/kafka\n`)

    section(`Tests: ${files.length} file(s)`)
    const { code, summary, missing } = await runAllTests(files.map((file) => relative(root, file)), { bootstrap: ready.bootstrap, version: kafkaVersion }, runDir, children)
    if (interrupted) return 130

    section('Summary')
    for (const key of ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const) process.stdout.write(`# ${key} ${summary[key] ?? 0}\n`)
    process.stdout.write(`${summary.pass ?? 0} passed, ${(summary.fail ?? 0) + (summary.cancelled ?? 0)} failed, ${summary.skipped ?? 0} skipped\n`)
    if (missing.length > 0) process.stdout.write(`Results of ${missing.length} file(s) did not all arrive, twice: ${missing.join(', ')}\n`)
    return code === 0 && (summary.fail ?? 0) === 0 && missing.length === 0 ? 0 : (code === 0 ? 1 : code)
  } finally {
    await cleanup()
  }
}

main().then((code) => {
  process.exit(code)
}, (err: unknown) => {
  // A SluiceError (a bad KAFKA_VERSION, Java missing, …) says all there is to say in its message.
  process.stderr.write(`test runner: ${isSluiceError(err) ? `${err.message} [${err.code}]` : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
