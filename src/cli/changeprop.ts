import { resolve } from 'node:path'
import { changepropService, loadChangepropConfig } from '../changeprop/index.js'
import { describeFailure } from '../errors.js'
import { runService } from '../service/index.js'
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
  let config
  try {
    config = await loadChangepropConfig(file, io.env)
  } catch (err) {
    io.stderr.write(`sluice changeprop: ${describeFailure(err)}\n`)
    return 1
  }
  if (values.check === true) {
    const names = Object.keys(config.rules)
    io.stdout.write(`${file}: ${names.length} rule${names.length === 1 ? '' : 's'} valid${names.length === 0 ? '' : `: ${names.join(', ')}`}\n`)
    return 0
  }
  return runService(changepropService, config, { cwd: io.cwd, hooks: io })
}
