import type { Writable } from 'node:stream'

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
