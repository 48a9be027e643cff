import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { Writable } from 'node:stream'
import { messageOf } from '../errors.js'

/** What a CLI command may touch: its output streams, environment and directory. */
export interface CliIO {
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
  cwd: string
  /**
   * Resolves when the process is asked to stop (SIGINT/SIGTERM). Long-running
   * commands (gateway, changeprop, up) await it, then shut down in order.
   */
  stopSignal: Promise<string>
  /** Registers a handler for reload requests (SIGHUP). */
  onReload: (handler: () => void) => void
}

/** A subcommand: parses its own arguments and returns the exit code. */
export type Command = (args: string[], io: CliIO) => Promise<number>

/**
 * `parseArgs` with the conventions every subcommand shares: a usage error prints the message
 * and the help to stderr and ends with exit code 2; `--help` prints the help to stdout and ends
 * with 0. Either way the caller gets a number to return; otherwise the parsed arguments.
 */
export function parseCommandArgs<const T extends ParseArgsConfig> (command: string, config: T, help: string, io: CliIO): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>
  try {
    parsed = parseArgs(config)
  } catch (err) {
    io.stderr.write(`sluice ${command}: ${messageOf(err)}\n\n${help}`)
    return 2
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    io.stdout.write(help)
    return 0
  }
  return parsed
}
