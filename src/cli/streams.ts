import { resolve } from 'node:path'
import { describeFailure } from '../errors.js'
import { runService } from '../service/index.js'
import { loadStreamsConfig, streamsService } from '../streams/index.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice streams [--config FILE]

Runs the stream service until SIGINT/SIGTERM: EventStreams' API (GET /v2/stream/{streams},
Server-Sent Events or newline-delimited JSON) over the streams of the stream config, with
resume by Last-Event-ID, server-side filters and a browser page at /v2/ui.
SIGHUP reloads the stream config.

Options:
  -c, --config FILE   YAML configuration (default: config/streams.yaml)
  -h, --help          show this help

Environment: PORT and KAFKA_BROKERS (comma-separated host:port) override the config file.
`

export async function runStreamsCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('streams', { args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true }, help, io)
  if (typeof parsed === 'number') return parsed
  const file = resolve(io.cwd, parsed.values.config ?? 'config/streams.yaml')
  let config
  try {
    config = await loadStreamsConfig(file, io.env)
  } catch (err) {
    io.stderr.write(`sluice streams: ${describeFailure(err)}\n`)
    return 1
  }
  return runService(streamsService, config, { cwd: io.cwd, hooks: io })
}
