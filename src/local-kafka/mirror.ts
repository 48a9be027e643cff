import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deadlineIn, settlesBefore, withDeadline } from '../deadline.js'
import type { Logger } from '../logger.js'
import { mirrorTopicsPattern } from '../stream-config/index.js'
import { fetchMavenJars, projectRoot } from './broker.js'
import type { KafkaJars } from './broker.js'
import { JavaMissingError, MirrorExitedError } from './errors.js'
import { mirrorConfigProviderLines, mirrorSecurityProperties } from './mirror-security.js'
import type { MirrorClusterSecurity } from './mirror-security.js'

/**
 * The MirrorMaker 2 release the local mirror runs: connect-mirror is published with each Kafka
 * release, and 4.3.1 is the newest Maven Central serves here. It mirrors between brokers of
 * 3.9 and 4.x alike.
 */
export const MIRROR_VERSION = '4.3.1'

/** One side of a mirror: the datacenter's name, its cluster's bootstrap address and how to get in (TLS, SASL). */
export interface MirrorCluster { name: string, bootstrap: string, security?: MirrorClusterSecurity }

export interface MirrorOptions {
  from: MirrorCluster
  to: MirrorCluster
  /** Topics to copy (a Java regex); default: the source datacenter's, `mirrorTopicsPattern` of src/stream-config/topology.ts. */
  topics?: string
  /** The datacenter owning legacy streams' bare topic names: when it is the source, they are copied too. */
  legacyTopicsHome?: string
  /** Where the properties file and logs go. */
  workDir: string
  /** Replication factor of mirrored and internal topics (1 for a single local broker). */
  replicationFactor?: number
  /** How often the source is checked for new topics. Default 5 s. */
  refreshTopicsSeconds?: number
  jvmOptions?: readonly string[]
  logger?: Logger
  /** Where MirrorMaker's own log lines go (default: the logger at warn). */
  onOutput?: (line: string) => void
  timeoutMs?: number
}

export interface LocalMirror {
  pid: number
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>
  /** SIGTERM (MirrorMaker stops its connectors and commits), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>
}

export const DEFAULT_MIRROR_JVM_OPTIONS: readonly string[] = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']

/**
 * The name MirrorMaker 2 knows an unnamed cluster by: its address, in the characters a topic
 * name allows ("127.0.0.1:9092" → "cluster-127-0-0-1-9092"). The source's name is the mirror's
 * identity in the target cluster (its group "<source>-mm2" and internal topics
 * "mm2-*.<source>.internal"), so two mirrors between different clusters never share one.
 */
export function clusterAlias (bootstrap: string): string {
  return `cluster-${bootstrap.split(',')[0]!.trim().replace(/[^A-Za-z0-9_-]+/g, '-')}`
}

/** The directory name of one direction's properties file and logs: one per pair of names. */
export function mirrorWorkDirName (from: MirrorCluster, to: MirrorCluster): string {
  return `mirror-${from.name}-to-${to.name}`
}

export async function fetchMirrorJars (options: { cacheDir?: string, logger?: Logger } = {}): Promise<KafkaJars> {
  return fetchMavenJars({
    pom: join(projectRoot(), 'broker', 'mirror-pom.xml'),
    mavenArgs: [`-Dmirror.version=${MIRROR_VERSION}`],
    fingerprintExtra: `\0mirror\0${MIRROR_VERSION}`,
    dir: resolve(options.cacheDir ?? join(projectRoot(), '.cache', 'kafka', `mirror-${MIRROR_VERSION}`, 'libs')),
    expectJar: /connect-mirror-\d.*\.jar$/,
    version: MIRROR_VERSION,
    logger: options.logger
  })
}

/**
 * MirrorMaker 2's dedicated-mode configuration for one direction. The identity replication
 * policy keeps topic names (they already carry their datacenter), and the records' keys, values,
 * headers and timestamps are copied as they are.
 */
export function mirrorProperties (options: MirrorOptions): string {
  const { from, to } = options
  const rf = options.replicationFactor ?? 1
  const escape = (value: string): string => value.replace(/\\/g, '\\\\')
  const secured = [from, to].flatMap((cluster) => mirrorSecurityProperties(cluster.name, cluster.security).lines)
  return [
    ...(secured.length === 0 ? [] : mirrorConfigProviderLines),
    `clusters = ${from.name}, ${to.name}`,
    `${from.name}.bootstrap.servers = ${from.bootstrap}`,
    `${to.name}.bootstrap.servers = ${to.bootstrap}`,
    `${from.name}->${to.name}.enabled = true`,
    `${from.name}->${to.name}.topics = ${escape(options.topics ?? mirrorTopicsPattern(from.name, options.legacyTopicsHome))}`,
    `${to.name}->${from.name}.enabled = false`,
    'replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
    `replication.factor = ${rf}`,
    ...['checkpoints.topic', 'heartbeats.topic', 'offset-syncs.topic', 'offset.storage', 'status.storage', 'config.storage'].map((k) => `${k}.replication.factor = ${rf}`),
    'sync.topic.acls.enabled = false',
    `refresh.topics.interval.seconds = ${options.refreshTopicsSeconds ?? 5}`,
    // Copy as soon as records arrive: a mirror's lag is the cross-datacenter delay of every stream.
    `${to.name}.producer.linger.ms = 5`,
    `${from.name}.consumer.fetch.max.wait.ms = 100`,
    ...secured,
    ''
  ].join('\n')
}

/**
 * Runs MirrorMaker 2 for one direction as a child process and resolves once it says it started.
 * The jars are fetched with Maven on first use and cached.
 */
export async function startMirror (options: MirrorOptions): Promise<LocalMirror> {
  const log = options.logger?.child({ module: 'kafka-mirror' })
  const { jars } = await fetchMirrorJars({ logger: log })
  const workDir = resolve(options.workDir)
  await mkdir(workDir, { recursive: true })
  const propertiesFile = join(workDir, `${mirrorWorkDirName(options.from, options.to)}.properties`)
  await writeFile(propertiesFile, mirrorProperties(options))
  // Secrets reach MirrorMaker through its environment, never through the properties file.
  const security = [options.from, options.to].map((cluster) => mirrorSecurityProperties(cluster.name, cluster.security))
  const args = [
    ...(options.jvmOptions ?? DEFAULT_MIRROR_JVM_OPTIONS),
    ...security.flatMap((s) => s.jvmProperties),
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${pathToFileURL(join(projectRoot(), 'broker', 'mirror-log4j2.properties')).href}`,
    '-cp', jars.join(delimiter),
    // Only the herder that writes into the target: MirrorMaker otherwise also runs one for the
    // disabled direction, whose group would fight the other direction's mirror over its config.
    'org.apache.kafka.connect.mirror.MirrorMaker', propertiesFile, '--clusters', options.to.name
  ]
  const child = spawn('java', args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...Object.assign({}, ...security.map((s) => s.env)) as Record<string, string> } })
  // The JVM is this process's helper, not a daemon: it must not outlive it, even after a crash.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  child.once('exit', () => { process.removeListener('exit', killOnExit) })
  const output: string[] = []
  const onLine = options.onOutput ?? ((line: string) => { log?.warn({ line }, 'mirror') })
  const started = new Promise<void>((resolveStarted) => {
    let buffer = ''
    const read = (chunk: Buffer): void => {
      buffer += chunk.toString()
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        output.push(line)
        if (output.length > 40) output.shift()
        if (line.includes('Kafka MirrorMaker started')) resolveStarted()
        else if (!line.startsWith('\tat ')) onLine(line)
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
  })
  const exited = new Promise<number | null>((resolveExit, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => { reject(err.code === 'ENOENT' ? new JavaMissingError(err) : err) })
    child.once('exit', (code) => { resolveExit(code) })
  })
  const timeoutMs = options.timeoutMs ?? 120_000
  try {
    // Started, or exited first: whichever comes first, within the start's bound.
    const startedOrExited = Promise.race([started, exited.then((code) => { throw new MirrorExitedError(code, output.join('\n')) })])
    await withDeadline(startedOrExited, deadlineIn(timeoutMs), () => new MirrorExitedError(null, `did not start within ${timeoutMs} ms\n${output.join('\n')}`))
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  log?.info({ pid: child.pid, from: options.from, to: options.to }, 'MirrorMaker 2 started')
  return { pid: child.pid!, exited, stop: async (ms = 15_000) => { await stopChild(child, exited, ms) } }
}

async function stopChild (child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  if (!await settlesBefore(exited, deadlineIn(timeoutMs))) child.kill('SIGKILL')
  await exited.catch(() => null)
}
