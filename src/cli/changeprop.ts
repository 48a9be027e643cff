import type { CliIO } from './io.js'

// Placeholder until the 'changeprop' command lands; replaced by its real implementation.
export async function runChangepropCommand (_args: string[], io: CliIO): Promise<number> {
  io.stderr.write('sluice changeprop: not available yet\n')
  return 1
}
