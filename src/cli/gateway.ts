import type { CliIO } from './io.js'

// Placeholder until the 'gateway' command lands; replaced by its real implementation.
export async function runGatewayCommand (_args: string[], io: CliIO): Promise<number> {
  io.stderr.write('sluice gateway: not available yet\n')
  return 1
}
