import { join, resolve } from 'node:path'
import { createChangeprop, loadChangepropConfig } from '../changeprop/index.js'
import type { ChangepropConfig } from '../changeprop/index.js'
import { readConfigFile } from '../config/load.js'
import type { ConfigFile } from '../config/load.js'
import { describeFailure, messageOf } from '../errors.js'
import { createGateway, loadGatewayConfig } from '../gateway/index.js'
import { closeServices, reloadOnRequest } from '../service/index.js'
import type { Service, ShellService } from '../service/index.js'
import { createStreams, loadStreamsConfig } from '../streams/index.js'
import { DEFAULT_BROKER_PORT, defaultBrokerDataDir, localBrokerStatus, mirrorWorkDirName, startLocalBroker, startMirror } from '../local-kafka/index.js'
import { datacenterPrefix, legacyTopicsHomeVariable, mirrorTopicsPattern } from '../stream-config/index.js'
import { startHttpSink } from '../dev/http-sink.js'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { createMetricsRegistry } from '../metrics/registry.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice up [--datacenters A,B] [--config FILE] [--changeprop-config FILE] [--streams-config FILE]
                 [--no-changeprop] [--no-streams] [--port-offset N] [--data-dir DIR]

Runs the whole platform on one machine until SIGINT/SIGTERM:
  1. a local Kafka broker on 127.0.0.1:$KAFKA_PORT (default 9092), unless brokers are configured
     (kafka.brokers or KAFKA_BROKERS) or one is already running there;
  2. a local HTTP sink on 127.0.0.1:$SINK_PORT (default 8193) that the example rules call;
  3. the gateway (default config.yaml, port 8192);
  4. change propagation with the example rules (default config/changeprop.yaml, admin port 7272);
  5. the stream service (default config/streams.yaml, port 8194): GET /v2/stream/{streams}, /v2/ui.

With --datacenters eqiad,codfw, every datacenter gets its own Kafka cluster (a local broker on
9092, 9192, ... unless KAFKA_BROKERS_<NAME> names one), Kafka's MirrorMaker 2 copies each
datacenter's topics (<name>.*) to every other cluster (only between the brokers it started), and
each datacenter runs a gateway writing <name>.<stream>, change propagation reacting to its own
<name>. topics, and a stream service reading every datacenter's topics from its local cluster.
The first datacenter owns the bare topics of legacy eventlogging_* streams (the others write
them as <name>.eventlogging_*), and its mirror copies them too.
Datacenter i (from 0) listens on the ports above plus 100 × i: eqiad on 8192/7272/8194, codfw on
8292/7372/8294; the sink is shared.

Options:
  -c, --config FILE          gateway configuration (default: config.yaml)
      --changeprop-config F  change-propagation configuration (default: config/changeprop.yaml)
      --streams-config FILE  stream service configuration (default: config/streams.yaml)
      --datacenters A,B      run one platform per datacenter, joined by MirrorMaker 2
      --no-changeprop        run without change propagation
      --no-streams           run without the stream service
      --port-offset N        add N to every port (a second platform on the same machine)
      --data-dir DIR         where the local brokers and mirrors keep their data
                             (DIR/data-<port>, DIR/mirror-<from>-to-<to>; default .cache/kafka)
  -h, --help                 show this help

Environment: KAFKA_BROKERS uses existing brokers (KAFKA_BROKERS_<DATACENTER> with --datacenters);
KAFKA_PORT, SINK_PORT and STREAMS_PORT move the local broker, the sink and the stream service.

A secured cluster: the gateway config's kafka.ssl and kafka.sasl apply to change propagation
and the stream service too, unless their own config files set their own.
`

interface UpOptions {
  gatewayFile: string
  changepropFile: string
  streamsFile: string
  changeprop: boolean
  streams: boolean
  offset: number
  /** The local brokers' and mirrors' directory. */
  dataRoot: string
}

/** One datacenter of the platform: its name (none in the single-datacenter mode), prefix and cluster. */
interface Datacenter {
  name: string | undefined
  /** The topic prefix its gateway and change propagation use; undefined keeps the config files'. */
  prefix: string | undefined
  /** The prefix of the datacenter owning legacy streams' bare topic names (the first one). */
  legacyTopicsHome: string | undefined
  brokers: string[]
  /** Added to every port of the datacenter's services. */
  portShift: number
}

/**
 * The three config files, each read once: every datacenter's services are validated from these.
 * Change propagation's is loaded whole (its rules directory with it), the others as data.
 */
interface ConfigFiles {
  gateway: ConfigFile
  changeprop: Readonly<ChangepropConfig> | undefined
  streams: ConfigFile | undefined
}

/** The local brokers, mirrors and sink, stopped in reverse order after the services. */
type Stack = Array<{ name: string, close: () => Promise<void> }>

/** The services, as the shell built them, closed together within one deadline. */
type Services = Array<{ name: string, service: ShellService<Service> }>

export async function runUpCommand (args: string[], io: CliIO): Promise<number> {
  const options = parseUpOptions(args, io)
  if (typeof options === 'number') return options
  const stack: Stack = []
  const services: Services = []
  const say = (line: string): void => { io.stdout.write(`${line}\n`) }
  let logger = createLogger({ level: 'silent', name: 'sluice' })
  let code = 0
  try {
    const files = await readConfigFiles(options, io.env)
    const fileConfig = await loadGatewayConfig(files.gateway, io.env)
    logger = createLogger({ level: fileConfig.log_level, name: 'sluice', maxStringLength: fileConfig.log_max_string_length })
    const datacenters = options.names === undefined
      ? [{ name: undefined, prefix: undefined, legacyTopicsHome: undefined, portShift: options.offset, brokers: fileConfig.kafka.brokers.length > 0 ? [...fileConfig.kafka.brokers] : await localBroker(undefined, portOf(io.env.KAFKA_PORT, DEFAULT_BROKER_PORT), options.dataRoot, io, logger, stack, say) }]
      : await startClusters(options.names, options, io, logger, stack, say)
    const sinkUrl = options.changeprop ? await startSink(io, options.offset, logger, stack, say) : undefined
    const prefixes = datacenters.map((dc) => dc.prefix).filter((p): p is string => p !== undefined)
    for (const dc of datacenters) await startServices(dc, prefixes, sinkUrl, files, io, logger, services, say)
    say('ready; press Ctrl-C to stop')
    await io.stopSignal
    say('stopping…')
  } catch (err) {
    io.stderr.write(`sluice up: ${describeFailure(err)}\n`)
    code = 1
  } finally {
    // The services first, all within one deadline (the longest of their shutdown bounds), then
    // what they ran on.
    const abandoned = await closeServices(services, logger)
    if (abandoned.length > 0) {
      io.stderr.write(`sluice up: shutdown did not finish in time (${abandoned.join(', ')}); exiting anyway\n`)
      code = 1
    }
    for (const item of stack.reverse()) {
      await item.close().catch((err: unknown) => { io.stderr.write(`sluice up: closing ${item.name}: ${messageOf(err)}\n`) })
    }
  }
  return code
}

function parseUpOptions (args: string[], io: CliIO): (UpOptions & { names: string[] | undefined }) | number {
  const parsed = parseCommandArgs('up', {
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'changeprop-config': { type: 'string' },
      'streams-config': { type: 'string' },
      datacenters: { type: 'string' },
      'no-changeprop': { type: 'boolean' },
      'no-streams': { type: 'boolean' },
      'port-offset': { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed
  const offset = Number(values['port-offset'] ?? '0')
  const names = values.datacenters?.split(',').map((n) => n.trim())
  if (!Number.isInteger(offset) || offset < 0 || offset > 50000 || (names !== undefined && (names.length < 2 || new Set(names).size !== names.length || names.some((n) => !/^[a-z][a-z0-9_-]*$/.test(n))))) {
    io.stderr.write('sluice up: --port-offset takes a whole number up to 50000; --datacenters at least two distinct names (lowercase letters, digits, _ and -)\n')
    return 2
  }
  return {
    names,
    gatewayFile: resolve(io.cwd, values.config ?? 'config.yaml'),
    changepropFile: resolve(io.cwd, values['changeprop-config'] ?? 'config/changeprop.yaml'),
    streamsFile: resolve(io.cwd, values['streams-config'] ?? 'config/streams.yaml'),
    changeprop: values['no-changeprop'] !== true,
    streams: values['no-streams'] !== true,
    offset,
    dataRoot: values['data-dir'] === undefined ? resolve(defaultBrokerDataDir(0), '..') : resolve(io.cwd, values['data-dir'])
  }
}

/** Each config file read once, before anything starts: a mistake in any of them stops `up` at once. */
async function readConfigFiles (options: UpOptions, env: NodeJS.ProcessEnv): Promise<ConfigFiles> {
  // PORT is the gateway's; change propagation keeps its file's admin port.
  const changepropEnv: NodeJS.ProcessEnv = { ...env }
  delete changepropEnv.PORT
  return {
    gateway: await readConfigFile(options.gatewayFile),
    changeprop: options.changeprop ? await loadChangepropConfig(options.changepropFile, changepropEnv) : undefined,
    streams: options.streams ? await readConfigFile(options.streamsFile) : undefined
  }
}
function portOf (value: string | undefined, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value)
}

/** A local broker on `port`: the one already running there, or a new one. */
async function localBroker (name: string | undefined, port: number, dataRoot: string, io: CliIO, logger: Logger, stack: Stack, say: (line: string) => void): Promise<string[]> {
  const label = name === undefined ? 'kafka' : `${name} kafka`
  const dataDir = join(dataRoot, `data-${port}`)
  const status = await localBrokerStatus(dataDir)
  if (status.running && status.bootstrap !== undefined) {
    say(`${label}: using the local broker already running at ${status.bootstrap}`)
    return [status.bootstrap]
  }
  say(`${label}: starting a local broker (the first start downloads the Kafka jars with Maven)…`)
  const broker = await startLocalBroker({ port, dataDir, logger, version: io.env.KAFKA_VERSION === '' ? undefined : io.env.KAFKA_VERSION })
  stack.push({ name: label, close: () => broker.stop() })
  say(`${label}: broker ready at ${broker.bootstrap}`)
  return [broker.bootstrap]
}

/**
 * Each datacenter's cluster (KAFKA_BROKERS_<NAME>, else a local broker on 9092 + 100 × i), and a
 * MirrorMaker 2 per ordered pair of the brokers started here: clusters named by the environment
 * are someone else's, and so is their mirroring.
 */
async function startClusters (names: readonly string[], options: UpOptions, io: CliIO, logger: Logger, stack: Stack, say: (line: string) => void): Promise<Datacenter[]> {
  const local = new Set<string>()
  // The brokers start side by side, and so do the mirrors: each is a JVM that mostly waits.
  const datacenters = await allStarted(names.map(async (name, i): Promise<Datacenter> => {
    const configured = io.env[`KAFKA_BROKERS_${name.toUpperCase().replace(/-/g, '_')}`]
    const brokers = configured !== undefined && configured !== ''
      ? configured.split(',').map((b) => b.trim())
      : await localBroker(name, portOf(io.env.KAFKA_PORT, DEFAULT_BROKER_PORT) + 100 * i + options.offset, options.dataRoot, io, logger, stack, say)
    if (configured === undefined || configured === '') local.add(name)
    return { name, prefix: datacenterPrefix(name), legacyTopicsHome: datacenterPrefix(names[0]!), brokers, portShift: options.offset + 100 * i }
  }))
  const mirrored = datacenters.filter((dc) => local.has(dc.name!))
  const pairs = mirrored.flatMap((from) => mirrored.filter((dc) => dc !== from).map((to) => ({ from: { name: from.name!, bootstrap: from.brokers[0]! }, to: { name: to.name!, bootstrap: to.brokers[0]! } })))
  await allStarted(pairs.map(async ({ from, to }) => {
    say(`mirror ${from.name} → ${to.name}: starting MirrorMaker 2 (the first start downloads its jars with Maven)…`)
    const mirror = await startMirror({ from, to, legacyTopicsHome: names[0], workDir: join(options.dataRoot, mirrorWorkDirName(from, to)), logger })
    stack.push({ name: `mirror ${from.name} → ${to.name}`, close: async () => { await mirror.stop() } })
    say(`mirror ${from.name} → ${to.name}: copying ${mirrorTopicsPattern(from.name, names[0])} from ${from.bootstrap} to ${to.bootstrap}`)
  }))
  return datacenters
}

/** Waits for every start, so that what did start is on the stack (and stopped) when one fails. */
async function allStarted<T> (starts: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(starts)
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value)
}

async function startSink (io: CliIO, offset: number, logger: Logger, stack: Stack, say: (line: string) => void): Promise<string> {
  const sink = await startHttpSink({ host: '127.0.0.1', port: portOf(io.env.SINK_PORT, 8193) + offset, logger })
  stack.push({ name: 'sink', close: () => sink.close() })
  say(`sink: example rules call ${sink.url}`)
  return sink.url
}

/** A datacenter's gateway, change propagation and stream service on its cluster and ports, each built by the service shell. */
async function startServices (dc: Datacenter, prefixes: readonly string[], sinkUrl: string | undefined, files: ConfigFiles, io: CliIO, logger: Logger, services: Services, say: (line: string) => void): Promise<void> {
  const label = (service: string): string => (dc.name === undefined ? service : `${dc.name} ${service}`)
  const env: NodeJS.ProcessEnv = {
    ...io.env,
    KAFKA_BROKERS: dc.brokers.join(','),
    ...(dc.prefix === undefined ? {} : { TOPIC_PREFIX: dc.prefix }),
    ...(dc.legacyTopicsHome === undefined ? {} : { [legacyTopicsHomeVariable]: dc.legacyTopicsHome })
  }
  const run = async (name: string, service: ShellService<Service>, what = ''): Promise<void> => {
    services.push({ name: label(name), service })
    reloadOnRequest(service, io.onReload)
    say(`${label(name)}: ${await service.start()}${what}`)
  }
  // Each file's port (or PORT), moved by the datacenter's shift.
  const gatewayFile = await loadGatewayConfig(files.gateway, env)
  // One cluster, one way in: the gateway's TLS and SASL settings, for files that give none.
  const shared = { ...(gatewayFile.kafka.ssl === undefined ? {} : { ssl: gatewayFile.kafka.ssl }), ...(gatewayFile.kafka.sasl === undefined ? {} : { sasl: gatewayFile.kafka.sasl }) }
  const sharedFor = (kafka: { ssl?: unknown, sasl?: unknown }): typeof shared => (kafka.ssl === undefined && kafka.sasl === undefined ? shared : {})
  const gatewayConfig = await loadGatewayConfig(files.gateway, { ...env, PORT: String(gatewayFile.port + dc.portShift) })
  await run('gateway', await createGateway(gatewayConfig, { cwd: io.cwd, logger, registry: createMetricsRegistry() }), ' (POST /v1/events, GET /schemas/, GET /metrics)')

  if (sinkUrl !== undefined && files.changeprop !== undefined) {
    const changepropEnv: NodeJS.ProcessEnv = { ...env }
    delete changepropEnv.PORT
    // The file as loaded once, its rules inline (rules_dir was read then), with this datacenter's
    // settings over it.
    const fromFile = files.changeprop
    const changepropConfig = await loadChangepropConfig(undefined, changepropEnv, {
      ...fromFile,
      rules_dir: undefined,
      exec_origin_override: sinkUrl,
      port: fromFile.port + dc.portShift,
      kafka: { ...fromFile.kafka, ...sharedFor(fromFile.kafka) },
      ...(dc.prefix === undefined ? {} : { topic_prefix: dc.prefix }),
      ...(dc.legacyTopicsHome === undefined ? {} : { legacy_topics_home: dc.legacyTopicsHome })
    })
    await run('changeprop', await createChangeprop(changepropConfig, { cwd: io.cwd, logger }))
  }

  if (files.streams !== undefined) {
    const streamsEnv: NodeJS.ProcessEnv = { ...env, PORT: io.env.STREAMS_PORT }
    const fromStreamsFile = await loadStreamsConfig(files.streams, streamsEnv)
    streamsEnv.PORT = String(fromStreamsFile.port + dc.portShift)
    const streamsConfig = await loadStreamsConfig(files.streams, streamsEnv, {
      kafka: { ...fromStreamsFile.kafka, ...sharedFor(fromStreamsFile.kafka) },
      // Every datacenter's topics, read from the local cluster (the mirror brought the others').
      ...(prefixes.length > 0 ? { stream_config_defaults: { ...fromStreamsFile.stream_config_defaults, topic_prefixes: prefixes } } : {}),
      ...(dc.legacyTopicsHome === undefined ? {} : { legacy_topics_home: dc.legacyTopicsHome })
    })
    await run('streams', await createStreams(streamsConfig, { cwd: io.cwd, logger }))
  }
}
