import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Logger } from '../logger.js'
import { probeKafka } from '../kafka/index.js'
import { pause } from '../deadline.js'
import {
  BrokerExitedError,
  BrokerPortInUseError,
  BrokerStartTimeoutError,
  JavaMissingError,
  KafkaJarFetchError,
  KafkaVersionUnsupportedError,
  MavenMissingError,
  SecurityMaterialError
} from './errors.js'
import { moveSecuredListener, prepareBrokerSecurity, securedListenerPorts } from './security.js'
import type { BrokerSecurityOptions, LocalBrokerSecurity, PreparedSecurity } from './security.js'

/** The Kafka release the local broker runs unless another is asked for (`--version`, `KAFKA_VERSION`). */
export const DEFAULT_KAFKA_VERSION = '4.4.0'

/** The releases CI tests against: the current 4.x and the last 3.x. */
export const TESTED_KAFKA_VERSIONS: readonly string[] = [DEFAULT_KAFKA_VERSION, '3.9.1']

/**
 * How a release logs. Kafka 3.x logs through log4j 1 (reload4j here); 4.0 moved to
 * log4j2. Each has its own Maven profile in `broker/pom.xml` and its own config file.
 */
interface KafkaRelease {
  version: string
  profile: 'reload4j' | 'log4j2'
  /** The JVM property that points the logging backend at its config file. */
  logConfigProperty: string
  logConfigFile: string
}

/**
 * Checks a release number and picks its logging backend. 3.9 is the oldest
 * accepted: the KRaft settings the broker is started with need it.
 */
export function kafkaRelease (version: string = DEFAULT_KAFKA_VERSION): KafkaRelease {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  const major = Number(match?.[1])
  const minor = Number(match?.[2])
  if (match === null || major < 3 || (major === 3 && minor < 9) || major > 4) throw new KafkaVersionUnsupportedError(version)
  return major === 3
    ? { version, profile: 'reload4j', logConfigProperty: 'log4j.configuration', logConfigFile: 'log4j.properties' }
    : { version, profile: 'log4j2', logConfigProperty: 'log4j2.configurationFile', logConfigFile: 'log4j2.properties' }
}

export const DEFAULT_BROKER_PORT = 9092

/**
 * Start-up flags for a short-lived development broker: the serial collector and
 * C1-only compilation take about a second off a cold start on two cores.
 * Benchmarks that want full JIT pass their own `jvmOptions`.
 */
export const DEFAULT_JVM_OPTIONS: readonly string[] = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto']

export interface LocalBroker {
  /** `127.0.0.1:<port>`, ready to hand to a client. */
  bootstrap: string
  pid: number
  dataDir: string
  /** The secured listeners, when started with `security`. */
  security?: LocalBrokerSecurity
  stop(): Promise<void>
}

export interface StartLocalBrokerOptions {
  /** Broker port on 127.0.0.1; 0 picks a free one. Default 9092. */
  port?: number
  dataDir: string
  /** Wipe `dataDir` first (stopping a broker that runs on it). */
  fresh?: boolean
  /** `num.partitions` for auto-created topics. Default 1. */
  partitions?: number
  /** The Kafka release to run (x.y.z, 3.9 or newer). Default DEFAULT_KAFKA_VERSION. */
  version?: string
  /** Where the jars are cached. Default `.cache/kafka/<version>/libs` in the project. */
  cacheDir?: string
  logger?: Logger
  /** How long to wait for the broker to answer a Metadata request. Default 60000. */
  timeoutMs?: number
  /** Replaces DEFAULT_JVM_OPTIONS. */
  jvmOptions?: readonly string[]
  /**
   * Adds the listeners production clusters use (security.ts): mutual TLS, SASL over TLS
   * (SCRAM users created when the storage is formatted, PLAIN, OAUTHBEARER) and SASL PLAIN
   * without TLS. The PLAINTEXT listener stays, for tools.
   */
  security?: boolean | BrokerSecurityOptions
}

export interface LocalBrokerStatus {
  running: boolean
  pid?: number
  bootstrap?: string
  security?: LocalBrokerSecurity
}

export interface KafkaJars {
  version: string
  dir: string
  /** Absolute paths, sorted, so the class path is the same on every start. */
  jars: string[]
  /** false when the cache was already complete. */
  fetched: boolean
}

/** What a running broker leaves in its data dir, so another process can stop it. */
interface BrokerState {
  pid: number
  bootstrap: string
  port: number
  controllerPort: number
  security?: LocalBrokerSecurity
  /** A class-data archive the JVM writes at exit, and where it goes once complete. */
  archive?: { pending: string, target: string }
}

const STATE_FILE = 'broker.json'
const PID_FILE = 'broker.pid'
const LOG_FILE = 'broker.log'
const MARKER_FILE = '.complete'
const ARCHIVE_FILE = 'classes.jsa'

/** The project directory: the one holding `broker/pom.xml`, found from this module (source or build output). */
export function projectRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'broker', 'pom.xml'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find broker/pom.xml above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}

export function defaultJarCacheDir (version: string = DEFAULT_KAFKA_VERSION): string {
  return join(projectRoot(), '.cache', 'kafka', version, 'libs')
}

export function defaultBrokerDataDir (port: number): string {
  return join(projectRoot(), '.cache', 'kafka', `data-${port}`)
}

/** Copies the broker's runtime class path of one release from Maven into `cacheDir` (once). */
export async function fetchKafkaJars (options: { version?: string, cacheDir?: string, logger?: Logger } = {}): Promise<KafkaJars> {
  const release = kafkaRelease(options.version)
  const version = release.version
  const dir = resolve(options.cacheDir ?? defaultJarCacheDir(version))
  return fetchMavenJars({
    pom: join(projectRoot(), 'broker', 'pom.xml'),
    mavenArgs: ['-P', release.profile, `-Dkafka.version=${version}`],
    fingerprintExtra: `\0${version}\0${release.profile}`,
    dir,
    expectJar: /kafka_2\.13-.*\.jar$/,
    version,
    logger: options.logger
  })
}

/**
 * Copies a pom's runtime class path from Maven into `dir`, unless a previous copy from the same
 * pom and arguments is complete. The copy lands in a temporary directory that is renamed into
 * place, so a crash or a concurrent fetch never leaves a half-filled cache that looks complete.
 */
export async function fetchMavenJars (options: { pom: string, mavenArgs: string[], fingerprintExtra: string, dir: string, expectJar: RegExp, version: string, logger?: Logger }): Promise<KafkaJars> {
  const { dir, version } = options
  const fingerprint = createHash('sha256').update(await readFile(options.pom)).update(options.fingerprintExtra).digest('hex')
  if (await readMarker(dir) === fingerprint) return { version, dir, jars: await listJars(dir), fetched: false }

  options.logger?.info({ dir, version }, 'fetching jars with Maven')
  const staging = `${dir}.tmp-${randomUUID()}`
  await mkdir(dirname(dir), { recursive: true })
  try {
    await runMaven(['-q', '-B', '-f', options.pom, ...options.mavenArgs, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`])
    const jars = await listJars(staging)
    if (!jars.some((jar) => options.expectJar.test(jar))) throw new KafkaJarFetchError(`no jar matching ${String(options.expectJar)} in ${staging}`)
    await writeFile(join(staging, MARKER_FILE), fingerprint)
    // A fetch that ran beside this one finished first, and a JVM may already be loading from
    // its copy: keep that one rather than pull it from under it.
    if (await readMarker(dir) === fingerprint) return { version, dir, jars: await listJars(dir), fetched: true }
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true })
    try {
      await rename(staging, dir)
    } catch (err) {
      // Another process finished the same fetch first; keep its copy.
      if (await readMarker(dir) !== fingerprint) throw err
    }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return { version, dir, jars: await listJars(dir), fetched: true }
}

/**
 * Starts a single-node KRaft broker on 127.0.0.1 in the background and resolves
 * once it answers a Metadata request. If a broker already runs on `dataDir`, that
 * one is returned (unless `fresh`, which stops it and wipes the directory).
 */
export async function startLocalBroker (options: StartLocalBrokerOptions): Promise<LocalBroker> {
  const dataDir = resolve(options.dataDir)
  const log = options.logger?.child({ module: 'kafka-broker' })

  const current = await localBrokerStatus(dataDir)
  if (current.running && current.pid !== undefined && current.bootstrap !== undefined) {
    if (options.fresh !== true) return brokerHandle(current.bootstrap, current.pid, dataDir, current.security)
    await stopLocalBroker(dataDir)
  }

  const fixedPort = options.port ?? DEFAULT_BROKER_PORT
  const port = fixedPort === 0 ? await findFreePort() : fixedPort
  if (!await isPortFree(port)) throw new BrokerPortInUseError(port)
  let ports: BrokerPorts = { port, controllerPort: await isPortFree(port + 1) ? port + 1 : await findFreePort() }

  const release = kafkaRelease(options.version)
  const { dir: cacheDir, jars } = await fetchKafkaJars({ version: release.version, cacheDir: options.cacheDir, logger: log })
  if (options.fresh === true) await rm(dataDir, { recursive: true, force: true })
  await mkdir(join(dataDir, 'logs'), { recursive: true })

  for (let attempt = 1; ; attempt++) {
    try {
      return await launchBroker({ options, dataDir, release, cacheDir, jars, ports, log })
    } catch (err) {
      // A port chosen free can be taken before the JVM binds it (an outgoing connection's
      // local port, another test's broker): choose again rather than fail the start.
      const taken = err instanceof BrokerExitedError ? portTakenAtBind(err.logTail) : undefined
      if (taken === undefined || attempt >= BIND_ATTEMPTS) throw err
      if (taken === ports.port && fixedPort !== 0) throw new BrokerPortInUseError(taken)
      const again = await choosePortsAgain(ports, taken, dataDir)
      // A port that is none of the broker's own: choosing again would not change what failed.
      if (again === undefined) throw err
      log?.warn({ port: taken, attempt }, 'a port of the local Kafka broker was taken before it bound it; choosing another')
      ports = again
    }
  }
}

const BIND_ATTEMPTS = 4

interface BrokerPorts { port: number, controllerPort: number }

interface LaunchContext {
  options: StartLocalBrokerOptions
  dataDir: string
  release: KafkaRelease
  cacheDir: string
  jars: string[]
  ports: BrokerPorts
  log: Logger | undefined
}

/** Writes the broker's properties, starts the JVM and waits until it answers a Metadata request. */
async function launchBroker ({ options, dataDir, release, cacheDir, jars, ports, log }: LaunchContext): Promise<LocalBroker> {
  const { port, controllerPort } = ports
  const logDir = join(dataDir, 'logs')
  const secured = options.security === undefined || options.security === false
    ? undefined
    : await prepareBrokerSecurity(dataDir, options.security === true ? {} : options.security, portsAfter(port, [port, controllerPort]))
  const propertiesFile = join(dataDir, 'server.properties')
  await writeFile(propertiesFile, brokerProperties({ port, controllerPort, logDir, partitions: options.partitions ?? 1, secured }), { mode: 0o600 })
  // SCRAM users live in the cluster metadata: a secured broker's storage is formatted with them.
  if (secured === undefined) await writeMetaProperties(logDir)
  else await formatStorage(jars, propertiesFile, logDir, secured)

  // A class-data archive of the broker's classes halves the JVM's start-up. The
  // first broker of a cache records one when it exits; later ones map it.
  const archiveTarget = join(cacheDir, ARCHIVE_FILE)
  const archive = existsSync(archiveTarget) ? undefined : { pending: join(cacheDir, `classes-${randomUUID()}.jsa.tmp`), target: archiveTarget }
  const archiveFlag = archive === undefined ? `-XX:SharedArchiveFile=${archiveTarget}` : `-XX:ArchiveClassesAtExit=${archive.pending}`

  const args = [
    ...(options.jvmOptions ?? DEFAULT_JVM_OPTIONS),
    archiveFlag,
    '-Djava.awt.headless=true',
    `-D${release.logConfigProperty}=${pathToFileURL(join(projectRoot(), 'broker', release.logConfigFile)).href}`,
    '-cp', jars.join(delimiter),
    'kafka.Kafka', propertiesFile
  ]
  const logFile = join(dataDir, LOG_FILE)
  const startedAt = Date.now()
  const child = await spawnDetached('java', args, dataDir, logFile)
  const pid = child.pid

  const bootstrap = `127.0.0.1:${port}`
  const state: BrokerState = { pid, bootstrap, port, controllerPort, security: secured?.security, archive }
  await writeFile(join(dataDir, STATE_FILE), JSON.stringify(state, null, 2) + '\n')
  await writeFile(join(dataDir, PID_FILE), `${pid}\n`)
  log?.info({ pid, bootstrap, dataDir, version: release.version }, 'local Kafka broker starting')
  await awaitBrokerReady({ child, state, dataDir, logFile, startedAt, timeoutMs: options.timeoutMs ?? 60000 })
  log?.info({ pid, bootstrap, startupMs: Date.now() - startedAt }, 'local Kafka broker ready')
  if (archive === undefined && await archiveWasRejected(logFile)) {
    // Most likely a different JDK than the one that wrote it: record a new one next time.
    await rm(archiveTarget, { force: true })
  }
  return brokerHandle(bootstrap, pid, dataDir, secured?.security)
}

async function awaitBrokerReady (p: { child: BrokerProcess, state: BrokerState, dataDir: string, logFile: string, startedAt: number, timeoutMs: number }): Promise<void> {
  const { child, state, dataDir, logFile, timeoutMs } = p
  const deadline = p.startedAt + timeoutMs
  for (;;) {
    if (child.exit !== undefined || !isAlive(state.pid)) {
      await forgetState(dataDir, state)
      throw new BrokerExitedError(child.exit?.code ?? null, child.exit?.signal ?? null, await logTail(logFile))
    }
    // The PLAINTEXT listener can answer before another listener failed to bind and the
    // JVM exits: ready once the broker also logged the end of its start-up.
    if (await probeKafka([state.bootstrap], Math.min(2000, Math.max(deadline - Date.now(), 100))) && await startupFinished(logFile)) return
    if (Date.now() >= deadline) {
      await stopLocalBroker(dataDir, { timeoutMs: 5000 })
      throw new BrokerStartTimeoutError(timeoutMs, await logTail(logFile))
    }
    await pause(100)
  }
}

/** The port a broker that exited at start-up could not bind, read from the end of its log. */
export function portTakenAtBind (logTail: string): number | undefined {
  const match = /failed to bind to [^\s:]+:(\d+): Address already in use/.exec(logTail)
  return match === null ? undefined : Number(match[1])
}

/** The ports with `taken` replaced by a free one; undefined when `taken` is not one of them. */
async function choosePortsAgain (ports: BrokerPorts, taken: number, dataDir: string): Promise<BrokerPorts | undefined> {
  const inUse = [ports.port, ports.controllerPort, taken, ...await securedListenerPorts(dataDir)]
  const fresh = portsAfter(Math.max(...inUse), inUse)
  if (taken === ports.port) return { ...ports, port: await fresh() }
  if (taken === ports.controllerPort) return { ...ports, controllerPort: await fresh() }
  return await moveSecuredListener(dataDir, taken, fresh) ? ports : undefined
}

/**
 * Stops the broker whose state is in `dataDir`: SIGTERM, then SIGKILL after
 * `timeoutMs` (default 30000). Resolves false when none was running.
 */
export async function stopLocalBroker (dataDir: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const dir = resolve(dataDir)
  const state = await readState(dir)
  if (state === undefined) return false
  if (!isOurBroker(state.pid, dir)) {
    await forgetState(dir, state)
    return false
  }
  signal(state.pid, 'SIGTERM')
  if (!await waitForExit(state.pid, options.timeoutMs ?? 30000)) {
    signal(state.pid, 'SIGKILL')
    await waitForExit(state.pid, 10000)
  }
  await forgetState(dir, state)
  return true
}

export async function localBrokerStatus (dataDir: string): Promise<LocalBrokerStatus> {
  const dir = resolve(dataDir)
  const state = await readState(dir)
  if (state === undefined || !isOurBroker(state.pid, dir)) return { running: false }
  return { running: true, pid: state.pid, bootstrap: state.bootstrap, ...(state.security === undefined ? {} : { security: state.security }) }
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export async function findFreePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

async function isPortFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

function brokerHandle (bootstrap: string, pid: number, dataDir: string, security?: LocalBrokerSecurity): LocalBroker {
  return {
    bootstrap,
    pid,
    dataDir,
    ...(security === undefined ? {} : { security }),
    async stop () { await stopLocalBroker(dataDir) }
  }
}

/** Free ports for the secured listeners: the ones after `port` while they are free, then any. */
function portsAfter (port: number, taken: number[]): () => Promise<number> {
  const used = new Set(taken)
  let next = port + 2
  return async () => {
    while (next <= 65535 && (used.has(next) || !await isPortFree(next))) next++
    let chosen = next <= 65535 ? next : await findFreePort()
    while (used.has(chosen)) chosen = await findFreePort()
    used.add(chosen)
    next = chosen + 1
    return chosen
  }
}

/** `kafka-storage.sh format` with the SCRAM users (a JVM start of its own, about a second). */
async function formatStorage (jars: readonly string[], propertiesFile: string, logDir: string, secured: PreparedSecurity): Promise<void> {
  if (existsSync(join(logDir, 'meta.properties'))) return
  const args = ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-cp', jars.join(delimiter), 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propertiesFile, ...secured.formatArguments]
  await new Promise<void>((resolve, reject) => {
    execFile('java', args, { timeout: 120000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve()
        return
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new JavaMissingError(err))
        return
      }
      // The tool echoes its arguments in some errors: the SCRAM passwords are not repeated here.
      const output = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim() !== '' && !line.includes('password=')).slice(-10).join('\n')
      reject(new SecurityMaterialError(`formatting the storage with the SCRAM users failed:\n${output}`, err))
    })
  })
}

function brokerProperties (p: { port: number, controllerPort: number, logDir: string, partitions: number, secured?: PreparedSecurity }): string {
  const secured = p.secured?.listeners ?? []
  const listeners = [`PLAINTEXT://127.0.0.1:${p.port}`, ...secured.map((l) => `${l.name}://${l.address}`)]
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...secured.map((l) => `${l.name}:${l.protocol}`)]
  const lines = [
    '# Generated by `sluice kafka start`; rewritten on every start.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.controllerPort}`,
    `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${p.controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${protocols.join(',')}`,
    `log.dirs=${p.logDir}`,
    `num.partitions=${p.partitions}`,
    'default.replication.factor=1',
    'auto.create.topics.enable=true',
    'group.initial.rebalance.delay.ms=0',
    // One partition each: creating 50 on the first group join costs seconds, and one node gains nothing from more.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'num.network.threads=2',
    'num.io.threads=4',
    'log.segment.bytes=16777216',
    'log.cleaner.dedupe.buffer.size=16777216',
    ...(p.secured?.properties ?? [])
  ]
  return lines.join('\n') + '\n'
}

/**
 * Writes what `kafka-storage.sh format` would write for a single node, which
 * saves a second JVM launch per start. Without a bootstrap checkpoint the
 * controller takes the release's default metadata version. An existing file
 * (a reused data dir) is kept, as `format --ignore-formatted` would.
 */
async function writeMetaProperties (logDir: string): Promise<void> {
  const file = join(logDir, 'meta.properties')
  if (existsSync(file)) return
  await writeFile(file, `version=1\ncluster.id=${randomClusterId()}\nnode.id=1\n`)
}

/** Like Kafka's `Uuid.randomUuid()`: URL-safe base64 without padding, never starting with '-'. */
function randomClusterId (): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

interface BrokerProcess {
  pid: number
  /** Set once the process has exited. */
  exit: { code: number | null, signal: string | null } | undefined
}

async function spawnDetached (command: string, args: string[], cwd: string, logFile: string): Promise<BrokerProcess> {
  const handle = await open(logFile, 'w')
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', handle.fd, handle.fd] })
    // Listening before anything is awaited: a JVM that rejects its options exits within milliseconds.
    const broker: BrokerProcess = { pid: 0, exit: undefined }
    child.once('exit', (code, signal) => { broker.exit = { code, signal } })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new JavaMissingError(err) : err)
      })
    })
    broker.pid = child.pid as number
    // The broker outlives this process (`sluice kafka start` returns at once).
    child.unref()
    return broker
  } finally {
    await handle.close()
  }
}

async function runMaven (args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('mvn', args, { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve()
        return
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new MavenMissingError(err))
        return
      }
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n')
      reject(new KafkaJarFetchError(output, err))
    })
  })
}

async function readMarker (dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, MARKER_FILE), 'utf8')).trim()
  } catch {
    return undefined
  }
}

async function listJars (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.jar')).sort().map((name) => join(dir, name))
}

async function readState (dataDir: string): Promise<BrokerState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as BrokerState
    return Number.isInteger(state.pid) && state.pid > 0 ? state : undefined
  } catch {
    return undefined
  }
}

/** Removes the state files and keeps the class-data archive if the JVM wrote it out completely. */
async function forgetState (dataDir: string, state: BrokerState): Promise<void> {
  if (state.archive !== undefined) {
    const { pending, target } = state.archive
    const size = await stat(pending).then((s) => s.size, () => 0)
    if (size > 0 && !existsSync(target)) await rename(pending, target).catch(() => undefined)
    await rm(pending, { force: true })
  }
  await unlink(join(dataDir, STATE_FILE)).catch(() => undefined)
  await unlink(join(dataDir, PID_FILE)).catch(() => undefined)
}

/**
 * Guards against a recycled pid: on Linux the process must be a Kafka broker
 * started on this data dir. Elsewhere a live pid is trusted.
 */
function isOurBroker (pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false
  const procDir = `/proc/${pid}`
  if (!existsSync('/proc/self')) return true
  try {
    const cmdline = readFileSync(`${procDir}/cmdline`, 'utf8').split('\0')
    return cmdline.includes('kafka.Kafka') && cmdline.includes(join(dataDir, 'server.properties'))
  } catch {
    return false
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A child of this process that exited but is not reaped yet still has a pid.
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return fields.slice(fields.lastIndexOf(')') + 2, fields.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

function signal (pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

async function waitForExit (pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false
    await pause(50)
  }
  return true
}

async function logTail (file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log written)'
  }
}

async function startupFinished (logFile: string): Promise<boolean> {
  return (await readFile(logFile, 'utf8').catch(() => '')).includes('Kafka Server started')
}

async function archiveWasRejected (logFile: string): Promise<boolean> {
  try {
    return /\[warning\]\[cds/.test(await readFile(logFile, 'utf8'))
  } catch {
    return false
  }
}
