import type { CliIO } from './io.js'

// Placeholder until the 'kafka' command lands; replaced by its real implementation.
export async function runKafkaCommand (_args: string[], io: CliIO): Promise<number> {
  io.stderr.write('sluice kafka: not available yet\n')
  return 1
}
