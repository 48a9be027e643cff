import type { CliIO } from './io.js'

// Placeholder until the 'up' command lands; replaced by its real implementation.
export async function runUpCommand (_args: string[], io: CliIO): Promise<number> {
  io.stderr.write('sluice up: not available yet\n')
  return 1
}
