import { resolve } from 'node:path'
import { createGateway, loadGatewayConfig } from '../gateway/index.js'
import { isSluiceError } from '../errors.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice gateway [--config FILE]

Runs the HTTP event intake gateway (POST /v1/events) until SIGINT/SIGTERM.
SIGHUP reloads the stream config and the git schema repository.

Options:
  -c, --config FILE   YAML configuration (default: config.yaml in the current directory)
  -h, --help          show this help

Environment: PORT and KAFKA_BROKERS (comma-separated host:port) override the config file.
`

export async function runGatewayCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('gateway', { args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed
  const file = resolve(io.cwd, values.config ?? 'config.yaml')
  try {
    const config = await loadGatewayConfig(file, io.env)
    if (config.kafka.brokers.length === 0) {
      io.stderr.write('sluice gateway: no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS); `sluice up` starts a local broker for you\n')
      return 2
    }
    const gateway = await createGateway(config, { cwd: io.cwd })
    io.onReload(() => { void gateway.reload() })
    const address = await gateway.listen()
    io.stdout.write(`sluice gateway listening on ${address}\n`)
    const signal = await io.stopSignal
    io.stdout.write(`sluice gateway: ${signal}, stopping\n`)
    // Bounded so a stuck dependency cannot outlive Kubernetes' termination grace period.
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), config.shutdown_grace_ms) })
    const gaveUp = await Promise.race([gateway.close().then(() => false), timedOut])
    clearTimeout(timer)
    if (gaveUp) {
      io.stderr.write(`sluice gateway: shutdown did not finish within ${config.shutdown_grace_ms} ms; exiting anyway\n`)
      return 1
    }
    return 0
  } catch (err) {
    io.stderr.write(`sluice gateway: ${isSluiceError(err) ? err.message : (err as Error).stack ?? String(err)}\n`)
    return 1
  }
}
