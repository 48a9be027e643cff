import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import yaml from 'js-yaml'
import { request } from 'undici'
import { findFreePort } from '../../src/local-kafka/index.js'
import { renderChart, repoRoot } from '../helm/chart-tools.js'
import type { KubeObject } from '../helm/chart-tools.js'
import { readMessages, requireBrokers, testTmpDir } from '../helpers/kafka.js'
import { waitFor } from '../helpers/wait.js'

// The Dockerfile built and its image started the way the chart starts it. No registry of base
// images is reached here, so NODE_IMAGE is a Debian bookworm made with debootstrap plus the
// pinned Node.js and npm from the npm registry (scripts/provision.sh --node-image, built once
// into a container storage in the tool cache). buildah builds without a daemon, in chroot
// isolation, and runs the image's entrypoint as the image's user with the chart's arguments,
// environment and rendered config: the gateway answers /healthz and a POST reaches the broker.

const run = promisify(execFile)
const provision = join(repoRoot, 'scripts', 'provision.sh')
const image = 'localhost/sluice:test'

/** The container storage scripts/provision.sh keeps the image base in (same directories). */
function storageArgs (env: NodeJS.ProcessEnv = process.env): string[] {
  const tools = env.SLUICE_TOOLS_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice-tools')
  return ['--root', join(tools, 'buildah', 'storage'), '--runroot', join(tools, 'buildah', 'run')]
}

async function buildah (args: readonly string[], timeout = 60_000): Promise<string> {
  const { stdout } = await run('buildah', [...storageArgs(), ...args], { cwd: repoRoot, timeout, maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

interface ImageConfig { User?: string, Env?: string[], Entrypoint?: string[], Cmd?: string[], WorkingDir?: string }

interface Container { name: string, image: string, args: string[], env?: Array<{ name: string, value: string }>, volumeMounts: Array<{ name: string, mountPath: string }> }

/** The chart's gateway: its container spec and its rendered config.yaml, for this broker and port. */
async function chartGateway (brokers: readonly string[], port: number, datacenter: string): Promise<{ container: Container, config: Record<string, unknown> }> {
  const objects = await renderChart({ set: [`datacenter=${datacenter}`, `kafka.brokers={${brokers.join(',')}}`, `gateway.port=${port}`] })
  const byKind = (kind: string): KubeObject => {
    const found = objects.find((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === 'gateway')
    assert.ok(found !== undefined, `no gateway ${kind} in the chart`)
    return found
  }
  const deployment = byKind('Deployment') as KubeObject & { spec: { template: { spec: { containers: Container[] } } } }
  const container = deployment.spec.template.spec.containers.find((c) => c.name === 'gateway')
  assert.ok(container !== undefined)
  const configMap = byKind('ConfigMap') as KubeObject & { data: Record<string, string> }
  const config = yaml.load(configMap.data['config.yaml'] ?? '') as Record<string, unknown>
  return { container, config }
}

/** The process below `pid` that runs `command` (buildah's chroot helpers sit in between). */
async function findDescendant (pid: number, command: readonly string[]): Promise<number | undefined> {
  const parents = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
  }
  for (const [child] of parents) {
    let up = parents.get(child)
    while (up !== undefined && up !== pid && up > 1) up = parents.get(up)
    if (up !== pid) continue
    const [program = '', ...args] = (await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0').slice(0, -1)
    if (basename(program) === basename(command[0] ?? '') && args.join('\0') === command.slice(1).join('\0')) return child
  }
  return undefined
}

async function buildImage (t: TestContext): Promise<ImageConfig> {
  const { stdout } = await run('bash', [provision, '--node-image'], { cwd: repoRoot, timeout: 300_000 })
  const nodeImage = stdout.trim().split('\n').at(-1) ?? ''
  assert.match(nodeImage, /^localhost\/sluice-node:/)
  // --layers: a second build of the same sources (the suite's second pass) reuses every step.
  const started = Date.now()
  await buildah(['bud', '--isolation', 'chroot', '--layers', '--force-rm', '--pull=never', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', image, '.'], 600_000)
  t.diagnostic(`buildah bud on ${nodeImage}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', image])) as { OCIv1: { config: ImageConfig } }
  return inspected.OCIv1.config
}

/**
 * Unnamed images a day old: the layers of earlier builds of other sources. Those the cache still
 * uses are parents of newer ones, and buildah refuses to remove them.
 */
async function removeOldBuilds (): Promise<number> {
  const images = JSON.parse(await buildah(['images', '--all', '--json'])) as Array<{ id: string, names: string[] | null, created: number }>
  const old = images.filter((i) => (i.names ?? []).length === 0 && i.created < Date.now() / 1000 - 86_400).sort((a, b) => b.created - a.created)
  let removed = 0
  for (const { id } of old) removed += await buildah(['rmi', id]).then(() => 1, () => 0)
  return removed
}

test('the image builds from Debian packages and Node.js from npm, and its entrypoint runs the chart\'s gateway as uid 10001: /healthz answers and a POST reaches Kafka', { timeout: 900_000 }, async (t) => {
  const config = await buildImage(t)
  assert.equal(config.User, '10001:10001', 'the image runs as the chart\'s user')
  assert.ok(Array.isArray(config.Entrypoint) && config.Entrypoint.length > 0, 'the image has an entrypoint')

  const brokers = requireBrokers()
  const port = await findFreePort()
  const datacenter = `img${randomUUID().slice(0, 8)}`
  const gateway = await chartGateway(brokers, port, datacenter)
  // The host's network is the container's here: loopback instead of the pod's 0.0.0.0.
  assert.equal(gateway.config.listen_address, '0.0.0.0')
  const configDir = await mkdtemp(join(testTmpDir(), 'sluice-image-config-'))
  t.after(() => rm(configDir, { recursive: true, force: true }))
  await writeFile(join(configDir, 'config.yaml'), yaml.dump({ ...gateway.config, listen_address: '127.0.0.1' }))
  // Readable by the image's user, as a ConfigMap volume is.
  await chmod(configDir, 0o755)
  await chmod(join(configDir, 'config.yaml'), 0o644)
  const configMount = gateway.container.volumeMounts.find((m) => m.name === 'config')
  assert.ok(configMount !== undefined)

  const container = (await buildah(['from', '--pull=never', '--name', `sluice-test-${randomUUID().slice(0, 8)}`, image])).trim()
  // What Kubernetes runs: the image's entrypoint with the Deployment's args (which replace CMD).
  const command = [...config.Entrypoint, ...gateway.container.args]
  const env = (gateway.container.env ?? []).flatMap((e) => ['--env', `${e.name}=${e.value}`])
  const child = spawn('buildah', [...storageArgs(), 'run', '--isolation', 'chroot', '--user', config.User, ...env, '--volume', `${configDir}:${configMount.mountPath}:ro`, container, '--', ...command], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  const running: { pid?: number } = {}
  t.after(async () => {
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
    // The gateway is this test's process: it must not outlive the test if buildah did not pass the signal on.
    try {
      if (running.pid !== undefined) process.kill(running.pid, 'SIGKILL')
    } catch {
      // Gone already, as it should be.
    }
    await buildah(['rm', container])
  })

  const url = `http://127.0.0.1:${port}`
  await waitFor('the gateway in the image to answer /healthz', async () => {
    if (child.exitCode !== null) assert.fail(`the image's entrypoint exited with ${child.exitCode}:\n${output}`)
    const res = await request(`${url}/healthz`).catch(() => undefined)
    await res?.body.dump()
    return res?.statusCode === 200
  }, 60_000, 200)

  running.pid = await findDescendant(child.pid!, command)
  assert.ok(running.pid !== undefined, 'the entrypoint runs below buildah')
  const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(await readFile(`/proc/${running.pid}/status`, 'utf8'))
  assert.deepEqual([uid?.[1], uid?.[2]], ['10001', '10001'], 'the gateway runs as uid 10001 (real and effective)')

  const marker = randomUUID()
  const res = await request(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ $schema: '/test/event/1.0.0', meta: { stream: 'test.event' }, dt: new Date().toISOString(), test: marker }])
  })
  assert.equal(res.statusCode, 201, await res.body.text())
  const [record] = await readMessages(`${datacenter}.test.event`, 1, { timeoutMs: 30_000 })
  assert.equal((JSON.parse(record!.value) as { test: string }).test, marker)

  // What the kubelet does to stop the pod: SIGTERM to the entrypoint's process (buildah itself
  // would SIGKILL it). The gateway shuts down cleanly, and buildah passes its exit status on.
  process.kill(running.pid, 'SIGTERM')
  assert.equal(await exited, 0, output)
  t.diagnostic(`removed ${await removeOldBuilds()} image(s) of builds a day old`)
})
