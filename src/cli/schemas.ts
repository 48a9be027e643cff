import type { CliIO } from './io.js'

// Placeholder until the 'schemas' command lands; replaced by its real implementation.
export async function runSchemasCommand (_args: string[], io: CliIO): Promise<number> {
  io.stderr.write('sluice schemas: not available yet\n')
  return 1
}
