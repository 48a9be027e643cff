import { resolve } from 'node:path'
import { isSluiceError } from '../errors.js'
import { probeCluster, tailTopic } from '../kafka/index.js'
import { createLogger } from '../logger.js'
import { DEFAULT_BROKER_PORT, DEFAULT_KAFKA_VERSION, MIRROR_VERSION, TESTED_KAFKA_VERSIONS, clusterAlias, defaultBrokerDataDir, fetchKafkaJars, fetchMirrorJars, kafkaRelease, localBrokerStatus, mirrorWorkDirName, startLocalBroker, startMirror, stopLocalBroker } from '../local-kafka/index.js'
import type { LocalBrokerSecurity } from '../local-kafka/index.js'
import { mirrorTopicsPattern } from '../stream-config/index.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'
import { clusterSecurity, loadClusterConfig } from './kafka-config.js'
import type { ClusterConfig } from './kafka-config.js'

const help = `Usage: sluice kafka <start|stop|status|fetch> [options]
       sluice kafka tail TOPIC [--from-beginning] [--max N] [--brokers LIST] [--config FILE]
       sluice kafka mirror --from HOST:PORT --to HOST:PORT --datacenter NAME [--legacy-topics-home NAME] [--topics REGEX]
                           [--from-config FILE] [--to-config FILE]

Runs a single-node Apache Kafka broker (KRaft) on 127.0.0.1 for development and
tests. Needs Java 17+ and Maven (which fetches the jars of each release once).

Commands:
  start    start the broker in the background, wait until it answers, print its
           bootstrap address (127.0.0.1:<port>) on stdout; with --security also
           the listeners production clusters use (below)
  stop     stop the broker (SIGTERM, then SIGKILL after 30 s)
  status   print whether it runs; exit code 0 if it does, 1 if not
  fetch    only download the Kafka jars into the cache (--mirror: MirrorMaker 2's too)
  tail     print the values of a topic's records, one per line, until --max
           records were printed or SIGINT
  mirror   run Kafka's MirrorMaker 2 (${MIRROR_VERSION}, jars from Maven, cached) in the
           foreground until SIGINT/SIGTERM: copies the source datacenter's topics
           from --from to --to under the same names (identity replication policy),
           keys, values, headers and timestamps as they are

Options:
  -p, --port PORT        broker port (default: KAFKA_PORT, else ${DEFAULT_BROKER_PORT})
  -d, --data-dir DIR     data directory (default: .cache/kafka/data-<port> in the project)
      --fresh            wipe the data directory first
      --version X.Y.Z    Kafka release to fetch and start (default: KAFKA_VERSION,
                         else ${DEFAULT_KAFKA_VERSION}; tested: ${TESTED_KAFKA_VERSIONS.join(', ')})
      --partitions N     partitions of auto-created topics (default 1)
      --timeout SECONDS  how long start waits for the broker (default 60)
      --security         start: add a mutual-TLS listener (SSL), a SASL_SSL one
                         (SCRAM-SHA-512/256 user "sluice" created when the storage is
                         formatted, PLAIN user "sluice-plain", OAUTHBEARER with unsigned
                         tokens) and a SASL_PLAINTEXT one (PLAIN), on the ports after
                         --port; certificates (made with openssl), password files and a
                         ready \`kafka\` section per listener go to <data dir>/security/
      --from-beginning   tail: start at the oldest record, not only new ones
      --max N            tail: stop after N records
      --brokers LIST     tail: bootstrap host:port list (default: KAFKA_BROKERS,
                         else --config's brokers, else the local broker on --port)
      --config FILE      tail: a config file whose \`kafka\` section (brokers, ssl,
                         sasl: the keys every service takes) says how to connect
      --from HOST:PORT   mirror: the source datacenter's cluster
      --to HOST:PORT     mirror: the cluster to copy into
      --datacenter NAME  mirror: the source datacenter; only its topics ("NAME.*")
                         are copied, so two mirrors, one each way, never loop
      --legacy-topics-home NAME
                         mirror: the datacenter owning the bare eventlogging_*
                         topics; the mirror out of it copies them too (set the
                         same NAME on every mirror)
      --to-datacenter N  mirror: the target datacenter's name
      --topics REGEX     mirror: copy these topics instead (a Java regex)
                         A cluster without a name is named by its address
                         (cluster-HOST-PORT): each direction has its own MirrorMaker
                         group, internal topics and work dir whatever the flags
      --from-config FILE mirror: the source cluster's \`kafka\` section (brokers, ssl,
      --to-config FILE   sasl), as in a service's config; --from/--to win for brokers
  -h, --help             show this help
`

export async function runKafkaCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('kafka', {
    args,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string', short: 'p' },
      'data-dir': { type: 'string', short: 'd' },
      fresh: { type: 'boolean' },
      version: { type: 'string' },
      partitions: { type: 'string' },
      timeout: { type: 'string' },
      'from-beginning': { type: 'boolean' },
      max: { type: 'string' },
      brokers: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      datacenter: { type: 'string' },
      'to-datacenter': { type: 'string' },
      'legacy-topics-home': { type: 'string' },
      topics: { type: 'string' },
      mirror: { type: 'boolean' },
      security: { type: 'boolean' },
      config: { type: 'string' },
      'from-config': { type: 'string' },
      'to-config': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const [action, ...extra] = positionals
  const expectedArguments = action === 'tail' ? 1 : 0
  if (action === undefined || extra.length !== expectedArguments || !['start', 'stop', 'status', 'fetch', 'tail', 'mirror'].includes(action)) {
    io.stderr.write(`sluice kafka: expected one of start, stop, status, fetch, mirror, or tail TOPIC\n\n${help}`)
    return 2
  }
  if (action === 'mirror') return runMirror(values, io)

  const port = parseInteger(values.port ?? io.env.KAFKA_PORT ?? String(DEFAULT_BROKER_PORT), 0, 65535)
  const partitions = parseInteger(values.partitions ?? '1', 1, 10000)
  const timeoutSeconds = parseInteger(values.timeout ?? '60', 1, 3600)
  const max = values.max === undefined ? undefined : parseInteger(values.max, 0, Number.MAX_SAFE_INTEGER)
  if (port === undefined || partitions === undefined || timeoutSeconds === undefined || (values.max !== undefined && max === undefined)) {
    io.stderr.write('sluice kafka: --port, --partitions, --timeout and --max take whole numbers (a port is 0-65535)\n')
    return 2
  }
  const dataDir = values['data-dir'] === undefined ? defaultBrokerDataDir(port) : resolve(io.cwd, values['data-dir'])
  const requestedVersion = values.version ?? (io.env.KAFKA_VERSION === '' ? undefined : io.env.KAFKA_VERSION) ?? DEFAULT_KAFKA_VERSION

  try {
    const command: BrokerCommand = { values, io, port, partitions, timeoutSeconds, max, dataDir, version: kafkaRelease(requestedVersion).version }
    switch (action) {
      case 'fetch': return await fetchJars(command)
      case 'start': return await startBroker(command)
      case 'tail': return await tail(command, extra[0] as string)
      case 'stop': return await stopBroker(command)
      default: return await brokerStatus(command)
    }
  } catch (err) {
    io.stderr.write(`sluice kafka ${action}: ${isSluiceError(err) ? `${err.message} [${err.code}]` : (err as Error).stack ?? String(err)}\n`)
    return 1
  }
}

/** The options the broker's subcommands read as given. */
interface KafkaValues { port?: string, fresh?: boolean, security?: boolean, mirror?: boolean, config?: string, brokers?: string, 'from-beginning'?: boolean }

/** What the broker's subcommands take from the command line, checked. */
interface BrokerCommand {
  values: KafkaValues
  io: CliIO
  port: number
  partitions: number
  timeoutSeconds: number
  max: number | undefined
  dataDir: string
  version: string
}

async function fetchJars ({ values, io, version }: BrokerCommand): Promise<number> {
  io.stderr.write(`Fetching the Kafka ${version} jars with Maven (once; they are cached)...\n`)
  const jars = await fetchKafkaJars({ version })
  io.stderr.write(`${jars.fetched ? 'Fetched' : 'Already cached:'} ${jars.jars.length} jars in ${jars.dir}\n`)
  if (values.mirror === true) {
    const mirror = await fetchMirrorJars()
    io.stderr.write(`MirrorMaker 2 ${MIRROR_VERSION}: ${mirror.fetched ? 'fetched' : 'already cached:'} ${mirror.jars.length} jars in ${mirror.dir}\n`)
  }
  return 0
}

async function startBroker ({ values, io, port, partitions, timeoutSeconds, dataDir, version }: BrokerCommand): Promise<number> {
  const before = await localBrokerStatus(dataDir)
  if (before.running && values.fresh !== true) {
    io.stderr.write(`Kafka is already running (pid ${before.pid}) on ${dataDir}\n`)
    if (before.security !== undefined) io.stderr.write(describeSecuredListeners(before.security))
    io.stdout.write(`${before.bootstrap}\n`)
    return 0
  }
  const started = Date.now()
  const jars = await fetchKafkaJars({ version })
  if (jars.fetched) io.stderr.write(`Fetched the Kafka ${version} jars into ${jars.dir}\n`)
  const broker = await startLocalBroker({ port, dataDir, fresh: values.fresh, partitions, version, timeoutMs: timeoutSeconds * 1000, security: values.security })
  io.stderr.write(`Kafka ${version} started in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${broker.pid}, data in ${dataDir}); stop it with 'sluice kafka stop${values.port === undefined ? '' : ` --port ${port}`}'\n`)
  if (broker.security !== undefined) io.stderr.write(describeSecuredListeners(broker.security))
  io.stdout.write(`${broker.bootstrap}\n`)
  return 0
}

async function tail ({ values, io, port, max }: BrokerCommand, topic: string): Promise<number> {
  const cluster = values.config === undefined ? undefined : await loadClusterConfig(resolve(io.cwd, values.config), io.cwd)
  const configured = cluster !== undefined && cluster.brokers.length > 0 ? cluster.brokers.join(',') : undefined
  const brokers = (values.brokers ?? io.env.KAFKA_BROKERS ?? configured ?? `127.0.0.1:${port}`).split(',').map((b) => b.trim()).filter((b) => b !== '')
  const security = clusterSecurity(cluster, io.env, values.config ?? 'configuration')
  // A cluster that refuses the settings says why at once (with its code), not as a failed read.
  await probeCluster({ brokers, clientId: 'sluice-tail', timeoutMs: 5000, security, logger: createLogger({ level: 'silent', name: 'sluice-tail' }) })
  const stop = new AbortController()
  void io.stopSignal.then(() => { stop.abort() })
  await tailTopic(brokers, topic, {
    security,
    fromBeginning: values['from-beginning'],
    max,
    signal: stop.signal,
    onMessage: (message) => { io.stdout.write(`${message.value}\n`) }
  })
  return 0
}

async function stopBroker ({ io, dataDir }: BrokerCommand): Promise<number> {
  const status = await localBrokerStatus(dataDir)
  const stopped = await stopLocalBroker(dataDir)
  io.stderr.write(stopped ? `Stopped Kafka (pid ${status.pid})\n` : `No Kafka broker was running on ${dataDir}\n`)
  return 0
}

async function brokerStatus ({ io, dataDir }: BrokerCommand): Promise<number> {
  const status = await localBrokerStatus(dataDir)
  if (status.running) {
    io.stdout.write(`running ${status.bootstrap} (pid ${status.pid}, data in ${dataDir})\n`)
    return 0
  }
  io.stdout.write(`not running (data dir ${dataDir})\n`)
  return 1
}

const hostPorts = /^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/

/** What `start --security` adds, for people (stdout keeps only the bootstrap address). */
function describeSecuredListeners (security: LocalBrokerSecurity): string {
  return [
    `Secured listeners (certificates, keys and passwords in ${security.dir}):`,
    `  SSL             ${security.ssl}  mutual TLS: client.crt/client.key signed by ca.crt`,
    `  SASL_SSL        ${security.saslSsl}  SCRAM-SHA-512/256 user ${security.scramUser.username} (${security.scramUser.passwordFile}), PLAIN user ${security.plainUser.username}, OAUTHBEARER (unsigned tokens); re-authentication every ${security.reauthenticateMs} ms`,
    `  SASL_PLAINTEXT  ${security.saslPlaintext}  PLAIN user ${security.plainUser.username} (${security.plainUser.passwordFile})`,
    `A \`kafka\` section for each: ${security.dir}/client-{ssl,sasl-ssl,sasl-plaintext}.yaml (e.g. sluice kafka tail TOPIC --config ${security.dir}/client-sasl-ssl.yaml)`,
    ''
  ].join('\n')
}
const datacenterName = /^[A-Za-z0-9_-]+$/

/** `sluice kafka mirror`: one direction of MirrorMaker 2, in the foreground. */
async function runMirror (values: { from?: string, to?: string, datacenter?: string, 'to-datacenter'?: string, 'legacy-topics-home'?: string, topics?: string, 'from-config'?: string, 'to-config'?: string }, io: CliIO): Promise<number> {
  const { datacenter, topics } = values
  const legacyHome = values['legacy-topics-home']
  let fromCluster: ClusterConfig | undefined
  let toCluster: ClusterConfig | undefined
  try {
    fromCluster = values['from-config'] === undefined ? undefined : await loadClusterConfig(resolve(io.cwd, values['from-config']), io.cwd)
    toCluster = values['to-config'] === undefined ? undefined : await loadClusterConfig(resolve(io.cwd, values['to-config']), io.cwd)
    // Checked here, so that a missing file or variable is reported before MirrorMaker starts.
    clusterSecurity(fromCluster, io.env, values['from-config'] ?? '')
    clusterSecurity(toCluster, io.env, values['to-config'] ?? '')
  } catch (err) {
    io.stderr.write(`sluice kafka mirror: ${isSluiceError(err) ? `${err.message} [${err.code}]` : String(err)}\n`)
    return 2
  }
  const from = values.from ?? (fromCluster?.brokers.length === 0 ? undefined : fromCluster?.brokers.join(','))
  const to = values.to ?? (toCluster?.brokers.length === 0 ? undefined : toCluster?.brokers.join(','))
  if (from === undefined || to === undefined || !hostPorts.test(from) || !hostPorts.test(to)) {
    io.stderr.write('sluice kafka mirror: --from and --to take HOST:PORT (or give the brokers in --from-config and --to-config)\n')
    return 2
  }
  if ((datacenter === undefined && topics === undefined) || [datacenter, values['to-datacenter']].some((name) => name !== undefined && !datacenterName.test(name))) {
    io.stderr.write('sluice kafka mirror: give the source --datacenter (letters, digits, _ and -), or --topics\n')
    return 2
  }
  if (legacyHome !== undefined && !datacenterName.test(legacyHome)) {
    io.stderr.write('sluice kafka mirror: --legacy-topics-home takes a datacenter name (letters, digits, _ and -)\n')
    return 2
  }
  // Named by their addresses unless named here: two mirrors between other clusters, or in
  // opposite directions, never share a group, internal topics or a properties file.
  const source = datacenter ?? clusterAlias(from)
  const target = values['to-datacenter'] ?? clusterAlias(to)
  if (source === target) {
    io.stderr.write(`sluice kafka mirror: the source and the target are both named "${source}"; give them different names\n`)
    return 2
  }
  const regex = topics ?? mirrorTopicsPattern(source, legacyHome)
  try {
    io.stderr.write(`Starting MirrorMaker 2 ${MIRROR_VERSION} (the first start fetches its jars with Maven)...\n`)
    const sourceCluster = { name: source, bootstrap: from, ...(fromCluster === undefined ? {} : { security: fromCluster }) }
    const targetCluster = { name: target, bootstrap: to, ...(toCluster === undefined ? {} : { security: toCluster }) }
    const mirror = await startMirror({
      from: sourceCluster,
      to: targetCluster,
      topics: regex,
      workDir: resolve(io.cwd, '.cache', 'kafka', mirrorWorkDirName(sourceCluster, targetCluster)),
      onOutput: (line) => { io.stderr.write(`${line}\n`) }
    })
    io.stdout.write(`mirroring ${regex} from ${source} (${from}) to ${target} (${to}) (pid ${mirror.pid}); Ctrl-C stops it\n`)
    const ended = await Promise.race([io.stopSignal.then(() => undefined), mirror.exited])
    if (ended !== undefined) {
      io.stderr.write(`sluice kafka mirror: MirrorMaker 2 exited with code ${String(ended)}\n`)
      return 1
    }
    await mirror.stop()
    return 0
  } catch (err) {
    io.stderr.write(`sluice kafka mirror: ${isSluiceError(err) ? `${err.message} [${err.code}]` : (err as Error).stack ?? String(err)}\n`)
    return 1
  }
}

function parseInteger (raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined
  const value = Number(raw)
  return value >= min && value <= max ? value : undefined
}
