import { resolve } from 'node:path'
import { createChangeprop, loadChangepropConfig } from '../changeprop/index.js'
import { describeFailure, messageOf } from '../errors.js'
import { createGateway, loadGatewayConfig } from '../gateway/index.js'
import { createStreams, loadStreamsConfig } from '../streams/index.js'
import { DEFAULT_BROKER_PORT, defaultBrokerDataDir, localBrokerStatus, startLocalBroker } from '../local-kafka/index.js'
import type { LocalBroker } from '../local-kafka/index.js'
import { startHttpSink } from '../dev/http-sink.js'
import type { HttpSink } from '../dev/http-sink.js'
import { createLogger } from '../logger.js'
import { createMetricsRegistry } from '../metrics/registry.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice up [--config FILE] [--changeprop-config FILE] [--streams-config FILE] [--no-changeprop] [--no-streams]

Runs the whole platform on one machine until SIGINT/SIGTERM:
  1. a local Kafka broker on 127.0.0.1:$KAFKA_PORT (default 9092), unless brokers are configured
     (kafka.brokers or KAFKA_BROKERS) or one is already running there;
  2. a local HTTP sink on 127.0.0.1:$SINK_PORT (default 8193) that the example rules call;
  3. the gateway (default config.yaml, port 8192);
  4. change propagation with the example rules (default config/changeprop.yaml, admin port 7272);
  5. the stream service (default config/streams.yaml, port 8194): GET /v2/stream/{streams}, /v2/ui.

Options:
  -c, --config FILE          gateway configuration (default: config.yaml)
      --changeprop-config F  change-propagation configuration (default: config/changeprop.yaml)
      --streams-config FILE  stream service configuration (default: config/streams.yaml)
      --no-changeprop        run without change propagation
      --no-streams           run without the stream service
  -h, --help                 show this help

Environment: KAFKA_BROKERS uses existing brokers; KAFKA_PORT, SINK_PORT and STREAMS_PORT move the
local broker, the sink and the stream service.
`

export async function runUpCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('up', {
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'changeprop-config': { type: 'string' },
      'streams-config': { type: 'string' },
      'no-changeprop': { type: 'boolean' },
      'no-streams': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed

  const stack: Array<{ name: string, close: () => Promise<void> }> = []
  const say = (line: string): void => { io.stdout.write(`${line}\n`) }
  try {
    let gatewayConfig = await loadGatewayConfig(resolve(io.cwd, values.config ?? 'config.yaml'), io.env)
    const logger = createLogger({ level: gatewayConfig.log_level, name: 'sluice', maxStringLength: gatewayConfig.log_max_string_length })

    let brokers = gatewayConfig.kafka.brokers
    if (brokers.length === 0) {
      const port = io.env.KAFKA_PORT === undefined ? DEFAULT_BROKER_PORT : Number(io.env.KAFKA_PORT)
      const dataDir = defaultBrokerDataDir(port)
      const status = await localBrokerStatus(dataDir)
      if (status.running && status.bootstrap !== undefined) {
        say(`kafka: using the local broker already running at ${status.bootstrap}`)
        brokers = [status.bootstrap]
      } else {
        say('kafka: starting a local broker (the first start downloads the Kafka jars with Maven)…')
        const broker: LocalBroker = await startLocalBroker({ port, dataDir, logger, version: io.env.KAFKA_VERSION === '' ? undefined : io.env.KAFKA_VERSION })
        stack.push({ name: 'kafka', close: () => broker.stop() })
        say(`kafka: broker ready at ${broker.bootstrap}`)
        brokers = [broker.bootstrap]
      }
      gatewayConfig = await loadGatewayConfig(resolve(io.cwd, values.config ?? 'config.yaml'), { ...io.env, KAFKA_BROKERS: brokers.join(',') })
    }

    const registry = createMetricsRegistry()
    const gateway = await createGateway(gatewayConfig, { cwd: io.cwd, logger, registry })
    stack.push({ name: 'gateway', close: async () => { await gateway.close() } })
    io.onReload(() => { void gateway.reload() })
    say(`gateway: ${await gateway.start()} (POST /v1/events, GET /schemas/, GET /metrics)`)

    if (values['no-changeprop'] !== true) {
      const sink: HttpSink = await startHttpSink({ host: '127.0.0.1', port: Number(io.env.SINK_PORT ?? 8193), logger })
      stack.push({ name: 'sink', close: () => sink.close() })
      say(`sink: example rules call ${sink.url}`)
      const changepropConfig = await loadChangepropConfig(resolve(io.cwd, values['changeprop-config'] ?? 'config/changeprop.yaml'), { ...io.env, KAFKA_BROKERS: brokers.join(',') }, { exec_origin_override: sink.url })
      const changeprop = await createChangeprop(changepropConfig, { cwd: io.cwd, logger })
      stack.push({ name: 'changeprop', close: async () => { await changeprop.close() } })
      say(`changeprop: ${await changeprop.start()}`)
    }
    if (values['no-streams'] !== true) {
      const streamsConfig = await loadStreamsConfig(resolve(io.cwd, values['streams-config'] ?? 'config/streams.yaml'), { ...io.env, PORT: io.env.STREAMS_PORT, KAFKA_BROKERS: brokers.join(',') })
      const streams = await createStreams(streamsConfig, { cwd: io.cwd, logger })
      stack.push({ name: 'streams', close: async () => { await streams.close() } })
      io.onReload(() => { void streams.reload() })
      say(`streams: ${await streams.start()}`)
    }
    say('ready; press Ctrl-C to stop')
    await io.stopSignal
    say('stopping…')
    return 0
  } catch (err) {
    io.stderr.write(`sluice up: ${describeFailure(err)}\n`)
    return 1
  } finally {
    for (const item of stack.reverse()) {
      await item.close().catch((err: unknown) => { io.stderr.write(`sluice up: closing ${item.name}: ${messageOf(err)}\n`) })
    }
  }
}
