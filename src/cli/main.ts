import type { CliIO, Command } from './io.js'
import { runGatewayCommand } from './gateway.js'
import { runKafkaCommand } from './kafka.js'
import { runSchemasCommand } from './schemas.js'
import { runChangepropCommand } from './changeprop.js'
import { runStreamsCommand } from './streams.js'
import { runUpCommand } from './up.js'
import { runCanaryCommand } from './canary.js'

const commands: Record<string, { run: Command, summary: string }> = {
  up: { run: runUpCommand, summary: 'run the whole platform on embedded defaults (local Kafka, gateway, change propagation, stream service)' },
  gateway: { run: runGatewayCommand, summary: 'run the HTTP event intake gateway (--config FILE)' },
  changeprop: { run: runChangepropCommand, summary: 'run the change-propagation consumer (--config FILE)' },
  streams: { run: runStreamsCommand, summary: 'run the stream service: EventStreams-compatible SSE of any stream (--config FILE)' },
  canary: { run: runCanaryCommand, summary: 'post a canary event to every stream with canary_events_enabled, in every datacenter (--config FILE)' },
  kafka: { run: runKafkaCommand, summary: 'start|stop|status a local single-node Kafka broker for development and tests' },
  schemas: { run: runSchemasCommand, summary: 'materialize|check the schema repository' }
}

export function usage (): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length))
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return `Usage: sluice <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'sluice <command> --help' for the options of one command.\n`
}

/** Dispatches to a subcommand and returns the exit code; never calls process.exit. */
export async function main (argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    io.stderr.write(`sluice: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  return command.run(rest, io)
}
