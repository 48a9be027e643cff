// Runs change propagation in a child process for the crash test: the parent writes the
// configuration file, starts this script, and kills it with SIGKILL mid-flight.
import pino from 'pino'
import { createChangeprop, loadChangepropConfig } from '../../../src/changeprop/index.js'
import { createMetricsRegistry } from '../../../src/metrics/registry.js'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: changeprop-child.ts CONFIG')
const config = await loadChangepropConfig(file, process.env)
const changeprop = await createChangeprop(config, { cwd: process.cwd(), logger: pino({ level: 'fatal' }, pino.destination(2)), registry: createMetricsRegistry() })
await changeprop.start()
process.stdout.write('started\n')
process.on('SIGTERM', () => {
  void changeprop.close().then(() => process.exit(0))
})
