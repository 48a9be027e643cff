import { resolve } from 'node:path'
import { gatewayService, loadGatewayConfig } from '../gateway/index.js'
import { describeFailure } from '../errors.js'
import { runService } from '../service/index.js'
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
  const file = resolve(io.cwd, parsed.values.config ?? 'config.yaml')
  let config
  try {
    config = await loadGatewayConfig(file, io.env)
  } catch (err) {
    io.stderr.write(`sluice gateway: ${describeFailure(err)}\n`)
    return 1
  }
  return runService(gatewayService, config, { cwd: io.cwd, hooks: io })
}
