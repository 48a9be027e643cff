import { resolve } from 'node:path'
import { buildChangeprop, loadChangepropConfig } from '../changeprop/index.js'
import { isSluiceError } from '../errors.js'
import { createLogger } from '../logger.js'
import { createMetricsRegistry } from '../metrics/registry.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice changeprop [--config FILE] [--check]

Runs change propagation until SIGINT/SIGTERM: every rule consumes its topics and
reacts to matching events with HTTP requests (or by producing events), at least once.

Options:
  -c, --config FILE   YAML configuration (default: config/changeprop.yaml)
      --check         validate the configuration and every rule, print a summary, exit
  -h, --help          show this help

Environment: PORT (admin server) and KAFKA_BROKERS (comma-separated host:port)
override the config file.
`

export async function runChangepropCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('changeprop', {
    args,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed
  const file = resolve(io.cwd, values.config ?? 'config/changeprop.yaml')
  try {
    const config = await loadChangepropConfig(file, io.env)
    const names = Object.keys(config.rules)
    if (values.check === true) {
      io.stdout.write(`${file}: ${names.length} rule${names.length === 1 ? '' : 's'} valid${names.length === 0 ? '' : `: ${names.join(', ')}`}\n`)
      return 0
    }
    if (config.kafka.brokers.length === 0) {
      io.stderr.write('sluice changeprop: no Kafka brokers configured (kafka.brokers or KAFKA_BROKERS); `sluice up` starts a local broker for you\n')
      return 2
    }
    const logger = createLogger({ level: config.log_level, name: config.service_name })
    const changeprop = buildChangeprop(config, { logger, registry: createMetricsRegistry({ service: config.service_name }) })
    try {
      await changeprop.start()
      io.stdout.write(`sluice changeprop: ${names.length} rule${names.length === 1 ? '' : 's'} running; admin (metrics, health) on port ${String(changeprop.port)}\n`)
      await io.stopSignal
    } finally {
      await changeprop.close()
    }
    return 0
  } catch (err) {
    io.stderr.write(`sluice changeprop: ${isSluiceError(err) ? err.message : (err as Error).stack ?? String(err)}\n`)
    return 1
  }
}
